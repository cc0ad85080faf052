import { ErrorCode, MlciError } from '@mlci/core'
import type { Spec } from '@mlci/core'
import { OUTCOMES, type Outcome } from '../report/facts.js'

/** `alerts` in mlci.config.ts. */
export interface AlertsConfig {
  webhooks?: WebhookConfig[]
  /** Per attempt, in ms (default 5000). A webhook can delay a build by at most timeoutMs × (retries + 1). */
  timeoutMs?: number
  /** Extra attempts after a timeout, network error, 408, 429 or 5xx (default 2). */
  retries?: number
  /** Metrics to include, in this order (default: failing verdicts first, then the rest; at most 8). */
  metrics?: string[]
  /** Alertmanagers that get an alert per failed run, resolved by the model's next successful run. */
  alertmanagers?: AlertmanagerConfig[]
}

export interface AlertmanagerConfig {
  /** Base URL, e.g. http://alertmanager:9093 (alerts go to /api/v2/alerts). */
  url: string
  /** Outcomes that fire an alert (default failed, vetoed, rolledback); a later `success` resolves them. */
  on?: Outcome[]
  /** Extra labels on every alert, e.g. { severity: 'page', team: 'ml' }. */
  labels?: Record<string, string>
  /** Shown in warnings instead of the URL. */
  name?: string
  /** Extra request headers (e.g. Authorization for a proxy in front); their values are secrets. */
  headers?: Record<string, string>
  /** An alert no later run resolves expires after this long (default 24 h). */
  expiresAfterMs?: number
}

export interface WebhookConfig {
  /** A secret: never printed, redacted from every output. */
  url: string
  /** `json`: mlci's generic payload (docs/run-record.md). `slack`: `{ text, blocks }` for Slack incoming webhooks and compatible chat tools. */
  format?: 'json' | 'slack'
  /** Outcomes that send an alert (default failed, vetoed, rolledback). */
  on?: Outcome[]
  /** Shown in warnings instead of the URL. */
  name?: string
  /** Extra request headers (e.g. Authorization); their values are secrets too. */
  headers?: Record<string, string>
}

export const DEFAULT_ALERT_ON: readonly Outcome[] = ['failed', 'vetoed', 'rolledback']
export const DEFAULT_TIMEOUT_MS = 5000
export const DEFAULT_RETRIES = 2

export const ALERTS_SHAPE: Spec = {
  shape: {
    webhooks: {
      array: {
        shape: { url: 'string', format: { oneOf: ['json', 'slack'] }, on: { array: { oneOf: OUTCOMES } }, name: 'string', headers: { record: 'string' } },
        required: ['url'],
      },
    },
    timeoutMs: 'integer',
    retries: 'integer',
    metrics: 'string[]',
    alertmanagers: {
      array: {
        shape: { url: 'string', on: { array: { oneOf: OUTCOMES } }, labels: { record: 'string' }, name: 'string', headers: { record: 'string' }, expiresAfterMs: 'integer' },
        required: ['url'],
      },
    },
  },
}

/**
 * Checks the type-level shape cannot express. Runs when the project opens (exit 2 before any
 * phase); messages name the key but never echo the URL.
 */
export function checkAlertsConfig(config: AlertsConfig | undefined, where: string): void {
  if (!config) return
  const problems: string[] = []
  if (config.timeoutMs !== undefined && (config.timeoutMs < 100 || config.timeoutMs > 120_000)) problems.push(`alerts.timeoutMs must be between 100 and 120000 (got ${config.timeoutMs})`)
  if (config.retries !== undefined && (config.retries < 0 || config.retries > 5)) problems.push(`alerts.retries must be between 0 and 5 (got ${config.retries})`)
  for (const [i, hook] of (config.webhooks ?? []).entries()) {
    let url: URL | undefined
    try {
      url = new URL(hook.url)
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push(`alerts.webhooks[${i}].url must be an absolute http(s) URL${url ? ` (got a ${url.protocol} URL)` : ''}`)
    }
  }
  for (const [i, am] of (config.alertmanagers ?? []).entries()) {
    if (!/^https?:\/\/[^/]/i.test(am.url)) problems.push(`alerts.alertmanagers[${i}].url must be an absolute http(s) URL such as http://127.0.0.1:9093`)
    for (const name of Object.keys(am.labels ?? {})) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) problems.push(`alerts.alertmanagers[${i}].labels: "${name}" is not a valid Prometheus label name (letters, digits, _; not starting with a digit)`)
    }
    if (am.expiresAfterMs !== undefined && am.expiresAfterMs < 60_000) problems.push(`alerts.alertmanagers[${i}].expiresAfterMs must be at least 60000 (got ${am.expiresAfterMs})`)
  }
  if (problems.length) {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `Invalid alerts config in ${where}: ${problems.join('; ')}.`, {
      hint: 'Write alerts: { webhooks: [{ url: process.env.SLACK_WEBHOOK_URL, format: "slack" }] }.',
    })
  }
}

/** Webhook URLs and header values: registered with the redactor so they are never printed. */
export function alertSecrets(config: AlertsConfig | undefined): string[] {
  const out: string[] = []
  for (const hook of config?.webhooks ?? []) {
    if (typeof hook.url === 'string') {
      out.push(hook.url)
      try {
        out.push(new URL(hook.url).href)
      } catch {
        // invalid URLs are reported by checkAlertsConfig
      }
    }
    for (const value of Object.values(hook.headers ?? {})) if (typeof value === 'string') out.push(value)
  }
  for (const am of config?.alertmanagers ?? []) {
    // The address is not a secret (it is in every Prometheus config), credentials in it are.
    try {
      const url = new URL(am.url)
      if (url.password) out.push(decodeURIComponent(url.password), url.password)
    } catch {
      // reported by checkAlertsConfig
    }
    for (const value of Object.values(am.headers ?? {})) if (typeof value === 'string') out.push(value)
  }
  return out
}

export function alertmanagerLabel(am: AlertmanagerConfig, index: number): string {
  if (am.name) return `Alertmanager "${am.name}"`
  try {
    return `Alertmanager ${new URL(am.url).host}`
  } catch {
    return `Alertmanager #${index + 1}`
  }
}

export function webhookLabel(hook: WebhookConfig, index: number): string {
  return `webhook ${hook.name ? `"${hook.name}"` : `#${index + 1}`} (${hook.format ?? 'json'})`
}
