import { basename } from 'node:path'
import type { RollbackReport } from '@mlci/core'
import type { RunRecord, RunStatus } from '@mlci/core'
import { OUTCOME_LABEL, failingStep, headline, metricRows, outcomeOf, type MetricRow, type Outcome } from '../report/facts.js'
import { formatDelta, formatNumber, oneLine } from '../report/format.js'

const MAX_METRICS = 8

/** The generic JSON alert (`format: 'json'`). Versioned with `schema`; documented in docs/run-record.md. */
export interface AlertPayload {
  schema: 1
  source: 'mlci'
  event: Outcome
  title: string
  status: RunStatus
  project: string
  runId: string
  command: string
  startedAt: string
  durationMs?: number
  version?: string
  failing?: { phase?: string; plugin?: string; code: string; message: string }
  metrics: { name: string; candidate?: number; live?: number; delta?: number; pass?: boolean; threshold?: string }[]
  tests?: { passed: number; failed: number; total: number }
  rollback?: RollbackReport
  /** Where the report and log are on the machine that ran the build. */
  report?: string
  log?: string
  /** The CI job, when mlci ran in a known CI (GitHub Actions, GitLab, Jenkins). */
  ciUrl?: string
}

export function alertPayload(record: RunRecord, env: NodeJS.ProcessEnv, metricOrder?: string[]): AlertPayload {
  const failing = failingStep(record)
  const tests = record.data.tests
  return {
    schema: 1,
    source: 'mlci',
    event: outcomeOf(record),
    title: headline(record),
    status: record.status,
    project: basename(record.cwd),
    runId: record.id,
    command: record.command,
    startedAt: record.startedAt,
    durationMs: record.durationMs,
    version: record.version ?? record.data.candidate?.version,
    failing: failing && { phase: failing.phase, plugin: failing.plugin, code: failing.code, message: oneLine(failing.message, 300) },
    metrics: keyMetrics(metricRows(record), metricOrder).map((m) => ({
      name: m.name, candidate: m.candidate, live: m.live, delta: m.delta, pass: m.verdict?.pass, threshold: m.verdict?.threshold,
    })),
    tests: tests && { passed: tests.passed, failed: tests.failed + tests.errors, total: tests.total },
    rollback: record.data.rollback,
    report: record.files?.report,
    log: record.files?.log,
    ciUrl: ciUrl(env),
  }
}

/** Configured metrics in order; otherwise failing verdicts first, then the rest. */
function keyMetrics(rows: MetricRow[], order?: string[]): MetricRow[] {
  if (order?.length) return order.map((name) => rows.find((r) => r.name === name)).filter((r): r is MetricRow => Boolean(r))
  return [...rows].sort((a, b) => Number(a.verdict?.pass ?? true) - Number(b.verdict?.pass ?? true)).slice(0, MAX_METRICS)
}

export function ciUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
  }
  return env.CI_JOB_URL ?? env.BUILD_URL ?? undefined
}

/** Slack's `mrkdwn` treats &, < and > as control characters. */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Slack incoming-webhook message (`format: 'slack'`): `text` for notifications, `blocks` for the layout. */
export function slackPayload(alert: AlertPayload): { text: string; blocks: unknown[] } {
  const icon = OUTCOME_LABEL[alert.event].icon
  const text = `${icon} ${alert.project}: ${alert.title}`
  const lines = [
    alert.version && `*Version:* \`${slackEscape(alert.version)}\``,
    alert.failing && `*Failed in:* ${slackEscape(`${alert.failing.phase ?? '?'}${alert.failing.plugin ? ` (${alert.failing.plugin})` : ''}: ${alert.failing.message}`)}`,
    alert.rollback && `*Rollback:* ${slackEscape(`${alert.rollback.from ?? '?'} → ${alert.rollback.to ?? '?'} ${alert.rollback.ok ? 'done' : 'FAILED'}: ${oneLine(alert.rollback.reason)}`)}`,
    alert.tests && `*Tests:* ${alert.tests.passed} passed, ${alert.tests.failed} failed of ${alert.tests.total}`,
  ].filter(Boolean)
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(text, 150), emoji: true } }]
  if (lines.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), 3000) } })
  if (alert.metrics.length) {
    blocks.push({
      type: 'section',
      fields: alert.metrics.slice(0, 10).map((m) => ({
        type: 'mrkdwn',
        text: truncate(`*${slackEscape(m.name)}*\n${formatNumber(m.candidate)}${m.live !== undefined ? ` (live ${formatNumber(m.live)}, ${formatDelta(m.delta, m.live)})` : ''}${m.pass === undefined ? '' : m.pass ? ' ✅' : ' ❌'}`, 2000),
      })),
    })
  }
  const where = [alert.ciUrl && `<${alert.ciUrl}|CI job>`, alert.report && `report: \`${slackEscape(alert.report)}\``, `run \`${slackEscape(alert.runId)}\``].filter(Boolean)
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(where.join(' · '), 3000) }] })
  return { text, blocks }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
