import { basename } from 'node:path'
import type { AnalysisOutcome } from '@mlci/core'
import { failingStep, headline, outcomeOf, type Outcome } from '../report/facts.js'
import { oneLine } from '../report/format.js'
import type { RunRecord } from '@mlci/core'
import { DEFAULT_ALERT_ON, type AlertmanagerConfig } from './config.js'
import { postJson, type DeliveryOptions, type DeliveryResult } from './deliver.js'
import { ciUrl } from './payload.js'

/**
 * Alerts in Alertmanager's own API (`POST /api/v2/alerts`), the way Prometheus sends them: a run
 * whose outcome the config subscribes to fires one alert (labels: alertname, source, model,
 * version, phase, outcome, analysis outcome, plus the configured labels); a later successful run
 * of the same model resolves every alert mlci has firing for it — found through Alertmanager's
 * `GET /api/v2/alerts`, so any runner can resolve what another one fired, and re-posted with
 * `endsAt` = now, which is how Alertmanager is told an alert ended.
 */

export const ALERT_NAME = 'MlciRunFailed'
/** An unresolved alert expires after this long (Alertmanager resolves it itself then). */
export const DEFAULT_EXPIRES_AFTER_MS = 24 * 3600 * 1000

export interface PostableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL?: string
}

/** Every label and annotation value is a string; an empty label means "absent" to Alertmanager. */
export function firingAlert(record: RunRecord, env: NodeJS.ProcessEnv, config: AlertmanagerConfig, now = new Date()): PostableAlert {
  const failing = failingStep(record)
  const analysis = (record.data.analysis ?? []).find((a) => (a.outcome ?? (a.verdict === 'success' ? 'Successful' : 'Failed')) !== 'Successful')
  const analysisOutcome: AnalysisOutcome | undefined = analysis ? analysis.outcome ?? 'Failed' : undefined
  const labels = clean({
    ...config.labels,
    alertname: ALERT_NAME,
    source: 'mlci',
    model: modelName(record),
    version: record.version ?? record.data.candidate?.version ?? '',
    phase: failing?.phase ?? '',
    outcome: outcomeOf(record),
    analysis: analysisOutcome ?? '',
  })
  const annotations = clean({
    summary: headline(record),
    description: failing ? oneLine(`${failing.code}: ${failing.message}`, 500) : '',
    run_id: record.id,
    command: record.command,
    rollback: record.data.rollback ? `${record.data.rollback.from ?? '?'} → ${record.data.rollback.to ?? '?'} ${record.data.rollback.ok ? 'done' : 'failed'}` : '',
    report: record.files?.report ?? '',
  })
  const ends = new Date(now.getTime() + (config.expiresAfterMs ?? DEFAULT_EXPIRES_AFTER_MS))
  const generatorURL = ciUrl(env)
  return { labels, annotations, startsAt: now.toISOString(), endsAt: ends.toISOString(), ...(generatorURL ? { generatorURL } : {}) }
}

export function modelName(record: RunRecord): string {
  return basename(record.cwd)
}

/** What a run does in one Alertmanager: fire, resolve, or nothing. */
export function alertmanagerAction(record: RunRecord, config: AlertmanagerConfig): 'fire' | 'resolve' | undefined {
  const outcome: Outcome = outcomeOf(record)
  if ((config.on ?? DEFAULT_ALERT_ON).includes(outcome)) return 'fire'
  return outcome === 'success' ? 'resolve' : undefined
}

/**
 * `/api/v2/alerts` under the configured URL. fetch refuses URLs with credentials, so
 * `http://user:pass@host` becomes a basic-auth header (explicit headers win).
 */
function endpoint(config: AlertmanagerConfig): { url: string; headers: Record<string, string> } {
  const url = new URL(config.url)
  const headers: Record<string, string> = {}
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    url.username = ''
    url.password = ''
  }
  return { url: `${url.href.replace(/\/+$/, '')}/api/v2/alerts`, headers: { ...headers, ...config.headers } }
}

export async function fire(record: RunRecord, env: NodeJS.ProcessEnv, config: AlertmanagerConfig, options: DeliveryOptions): Promise<DeliveryResult> {
  const { url, headers } = endpoint(config)
  return postJson(url, [firingAlert(record, env, config)], { ...options, headers })
}

/**
 * Resolve the model's firing mlci alerts. Returns how many were resolved; a failed lookup or
 * post is reported in the result (never thrown).
 */
export async function resolve(record: RunRecord, config: AlertmanagerConfig, options: DeliveryOptions): Promise<DeliveryResult & { resolved: number }> {
  const query = new URLSearchParams([['active', 'true'], ['silenced', 'true'], ['inhibited', 'true'], ['unprocessed', 'true'],
    ['filter', `alertname="${ALERT_NAME}"`], ['filter', 'source="mlci"'], ['filter', `model=${JSON.stringify(modelName(record))}`]])
  const { url, headers } = endpoint(config)
  let firing: { labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; generatorURL?: string }[]
  try {
    const response = await fetch(`${url}?${query}`, { headers, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'error' })
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined)
      return { ok: false, attempts: 1, status: response.status, error: `listing alerts: HTTP ${response.status}`, resolved: 0 }
    }
    firing = await response.json() as typeof firing
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code
    return { ok: false, attempts: 1, error: `listing alerts: ${cause ?? (error as Error).message}`, resolved: 0 }
  }
  if (!Array.isArray(firing) || !firing.length) return { ok: true, attempts: 1, resolved: 0 }
  const now = new Date().toISOString()
  const ended = firing.map((a) => ({ labels: a.labels, annotations: { ...a.annotations, resolved_by: record.id }, startsAt: a.startsAt ?? now, endsAt: now, ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}) }))
  const result = await postJson(url, ended, { ...options, headers })
  return { ...result, resolved: result.ok ? ended.length : 0 }
}

function clean(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''))
}
