import { isNoOp, type PhaseRecord, type RunRecord } from '@mlci/core'
import type { Block, Inline, ReportInput, Span } from './document.js'
import { OUTCOME_LABEL, baselineVersion, failingStep, metricRows, outcomeOf } from './facts.js'
import { formatDelta, formatDuration, formatNumber, formatTime, oneLine } from './format.js'

const MAX_FAILURES = 20

const PHASE_STATUS: Record<PhaseRecord['status'], Span> = {
  ok: { text: '✅ ok', tone: 'ok' },
  failed: { text: '❌ failed', tone: 'bad' },
  cached: { text: '♻️ cached', tone: 'muted' },
  skipped: { text: '⏭️ skipped', tone: 'muted' },
  stale: { text: '⚠️ stale', tone: 'warn' },
  interrupted: { text: '⏹️ interrupted', tone: 'warn' },
}

/** The sections about this one run: outcome, phases, tests, metrics, version, events, error. */
export function runBlocks(input: ReportInput): Block[] {
  const { record } = input
  return [
    ...overview(record, input.logPath),
    ...phases(record),
    ...tests(record),
    ...metrics(input),
    ...versionDecision(record),
    ...events(input),
    ...errorDetails(record),
  ]
}

function overview(record: RunRecord, logPath?: string): Block[] {
  const outcome = outcomeOf(record)
  const label = OUTCOME_LABEL[outcome]
  const tone = outcome === 'success' ? 'ok' : outcome === 'interrupted' ? 'warn' : 'bad'
  const failing = failingStep(record)
  const facts: Inline[] = [
    [{ text: 'Outcome: ', strong: true }, { text: `${label.icon} ${label.text}`, tone }, isNoOp(record) ? ' (nothing new: no phase had work to do and nothing changed)' : ''],
    [{ text: 'Command: ', strong: true }, { text: record.command, code: true }, record.dryRun ? ' (dry run)' : ''],
    [{ text: 'Started: ', strong: true }, `${formatTime(record.startedAt)} · took ${formatDuration(record.durationMs)}`],
    [{ text: 'Run: ', strong: true }, { text: record.id, code: true }, ` · mlci ${record.mlciVersion}`],
  ]
  if (record.version) facts.push([{ text: 'Version: ', strong: true }, { text: record.version, code: true }])
  if (failing) {
    facts.push([{ text: 'Failed in: ', strong: true }, `${failing.phase ?? '?'}${failing.plugin ? ` (${failing.plugin})` : ''}: ${oneLine(failing.message)}`])
  }
  if (logPath) facts.push([{ text: 'Full log: ', strong: true }, { text: logPath, code: true }])
  return [{ kind: 'list', items: facts }]
}

function phases(record: RunRecord): Block[] {
  if (!record.phases.length) return []
  const rows: Inline[][] = record.phases.map((p) => [
    { text: p.name, strong: true },
    PHASE_STATUS[p.status] ?? p.status,
    formatDuration(p.durationMs),
    p.status === 'cached' ? 'yes' : 'no',
    p.taps.map((t) => `${t.status === 'failed' ? '✖ ' : ''}${t.plugin}${t.version ? `@${t.version}` : ''}`).join(', ') || '—',
    oneLine(p.error?.message ?? p.reason, 120) || '',
  ])
  return [
    { kind: 'heading', level: 3, text: 'Phases', id: 'phases' },
    { kind: 'table', columns: [{ title: 'Phase' }, { title: 'Status' }, { title: 'Duration', align: 'right' }, { title: 'Cached', align: 'center' }, { title: 'Plugins' }, { title: 'Notes' }], rows },
  ]
}

function tests(record: RunRecord): Block[] {
  const t = record.data.tests
  if (!t) return []
  const counts: Inline = [
    { text: `${t.passed} passed`, strong: true, tone: 'ok' }, ', ',
    { text: `${t.failed} failed`, strong: t.failed > 0, tone: t.failed ? 'bad' : undefined }, ', ',
    `${t.skipped} skipped`, ', ', { text: `${t.errors} errors`, tone: t.errors ? 'bad' : undefined },
    ` — ${t.total} total in ${formatDuration(t.durationMs)}`,
  ]
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: 'Tests', id: 'tests' }, { kind: 'paragraph', text: counts }]
  if (t.failures.length) {
    const shown = t.failures.slice(0, MAX_FAILURES)
    blocks.push({ kind: 'table', columns: [{ title: 'Failing test' }, { title: 'Message' }], rows: shown.map((f) => [{ text: f.id, code: true }, oneLine(f.message)]) })
    if (t.failures.length > shown.length) blocks.push({ kind: 'paragraph', text: `…and ${t.failures.length - shown.length} more (see the full log).` })
  }
  return blocks
}

function metrics(input: ReportInput): Block[] {
  const { record, snapshot } = input
  const rows = metricRows(record, snapshot)
  if (!rows.length) return []
  const candidate = record.data.candidate?.version
  const baseline = baselineVersion(record, snapshot)
  const title = `Metrics: candidate${candidate ? ` ${candidate}` : ''} vs live${baseline ? ` ${baseline}` : ''}`
  const gate = record.data.gate
  const blocks: Block[] = [
    { kind: 'heading', level: 3, text: title, id: 'metrics' },
    {
      kind: 'table',
      columns: [{ title: 'Metric' }, { title: 'Candidate', align: 'right' }, { title: 'Live', align: 'right' }, { title: 'Δ', align: 'right' }, { title: 'Gate' }],
      rows: rows.map((r) => [
        { text: r.name, strong: true },
        formatNumber(r.candidate),
        formatNumber(r.live),
        formatDelta(r.delta, r.live),
        r.verdict
          ? [{ text: r.verdict.pass ? '✅ pass' : '❌ fail', tone: r.verdict.pass ? 'ok' : 'bad' }, ` ${r.verdict.threshold}${r.verdict.reason ? ` — ${oneLine(r.verdict.reason, 100)}` : ''}`]
          : { text: 'not gated', tone: 'muted' },
      ]),
    },
  ]
  if (gate) blocks.push({ kind: 'paragraph', text: [{ text: 'Gate: ', strong: true }, gate.passed ? { text: 'passed', tone: 'ok' } : { text: 'vetoed', tone: 'bad' }] })
  return blocks
}

function versionDecision(record: RunRecord): Block[] {
  const c = record.data.candidate
  if (!c) return []
  const how = c.reused
    ? 'reused (an existing ready version has exactly these inputs; nothing new was recorded)'
    : `${c.bump} bump${c.previous ? ` from ${c.previous}` : ''}`
  return [
    { kind: 'heading', level: 3, text: 'Version', id: 'version' },
    { kind: 'paragraph', text: [{ text: c.version, strong: true, code: true }, ` — ${how}: ${c.reason}`] },
  ]
}

function events(input: ReportInput): Block[] {
  const { record, snapshot } = input
  const items: Inline[] = []
  const d = record.data.deployment
  if (d) {
    items.push(d.unchanged
      ? [{ text: 'Deploy: ', strong: true }, `${d.version} was already live on ${d.target}; nothing changed.`]
      : [{ text: 'Deploy: ', strong: true }, `${d.version} → ${d.target}`, d.url ? [' at ', { text: d.url, code: true }] : '', d.imageDigest ? ` (image ${d.imageDigest.slice(0, 19)})` : ''].flat())
  }
  for (const a of record.data.analysis ?? []) {
    const bad = a.samples.filter((s) => s.verdict === 'failure' || s.verdict === 'error').length
    items.push([
      { text: `Monitor ${a.name}: `, strong: true },
      { text: a.verdict, tone: a.verdict === 'success' ? 'ok' : a.verdict === 'failure' ? 'bad' : 'warn' },
      ` on ${a.version} — ${a.samples.length} samples, ${bad} failing`, a.message ? `: ${oneLine(a.message)}` : '',
    ])
  }
  const rb = record.data.rollback
  if (rb) {
    items.push([
      { text: 'Rollback: ', strong: true },
      { text: rb.ok ? 'done' : 'FAILED', tone: rb.ok ? 'warn' : 'bad' },
      ` ${rb.from ?? '?'} → ${rb.to ?? '?'} — ${oneLine(rb.reason)}`, rb.error ? ` (${oneLine(rb.error)})` : '',
    ])
  } else if (record.rollbackError) {
    items.push([{ text: 'Rollback: ', strong: true }, { text: 'FAILED', tone: 'bad' }, ` — ${oneLine(record.rollbackError.message)}`])
  }
  for (const move of snapshot?.ledger.filter((m) => m.runId === record.id) ?? []) {
    items.push([{ text: 'Alias: ', strong: true }, { text: move.alias, code: true }, ` ${move.from ?? '(unset)'} → ${move.to ?? '(removed)'} — ${oneLine(move.reason)}`])
  }
  if (!items.length) return []
  return [{ kind: 'heading', level: 3, text: 'Deploy, monitor and rollback', id: 'events' }, { kind: 'list', items }]
}

function errorDetails(record: RunRecord): Block[] {
  const blocks: Block[] = []
  for (const [summary, error] of [['Error', record.error], ['Rollback error', record.rollbackError]] as const) {
    if (!error) continue
    const text = [`${error.code}: ${error.message}`, error.details, error.hint && `Hint: ${error.hint}`].filter(Boolean).join('\n\n')
    blocks.push({ kind: 'details', summary: `${summary}${error.phase ? ` in ${error.phase}` : ''}${error.plugin ? ` (${error.plugin})` : ''}`, text })
  }
  return blocks
}
