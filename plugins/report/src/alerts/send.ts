import { errorMessage, type RunContext, type RunRecord } from '@mlci/core'
import { outcomeOf } from '../report/facts.js'
import { alertmanagerAction, fire, resolve } from './alertmanager.js'
import { DEFAULT_ALERT_ON, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, alertmanagerLabel, webhookLabel, type AlertsConfig } from './config.js'
import { postJson, type DeliveryResult } from './deliver.js'
import { alertPayload, slackPayload } from './payload.js'

/**
 * The `recorded` tap (record written, repo lock released): post the outcome to every webhook
 * subscribed to it and fire/resolve Alertmanager alerts, in parallel. `record` is the written,
 * redacted record. An undeliverable alert is a warning; nothing here can change the run's
 * outcome or exit code. Core appends the lines logged here to the run's log file.
 */
export async function sendRunAlerts(config: AlertsConfig | undefined, record: RunRecord, ctx: RunContext): Promise<DeliveryResult[]> {
  // A developer's edit loop is not a release: watch cycles never alert.
  if (ctx.command === 'watch') return []
  const outcome = outcomeOf(record)
  const targets = (config?.webhooks ?? []).map((hook, index) => ({ hook, index })).filter(({ hook }) => (hook.on ?? DEFAULT_ALERT_ON).includes(outcome))
  const managers = (config?.alertmanagers ?? []).map((am, index) => ({ am, index, action: alertmanagerAction(record, am) })).filter((m) => m.action)
  if (!targets.length && !managers.length) return []
  const alog = ctx.log
  let results: DeliveryResult[] = []
  try {
    const delivery = { timeoutMs: config?.timeoutMs ?? DEFAULT_TIMEOUT_MS, retries: config?.retries ?? DEFAULT_RETRIES }
    const redacted = record
    const toManagers = managers.map(async ({ am, index, action }) => {
      const label = alertmanagerLabel(am, index)
      const options = { ...delivery, headers: am.headers }
      if (action === 'fire') {
        const result = await fire(redacted, ctx.env, am, options)
        if (result.ok) alog.info(`Fired the "${outcome}" alert in ${label}.`)
        else alog.warn(`Could not fire the "${outcome}" alert in ${label} after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}: ${result.error} (the build's outcome is unchanged).`)
        return result
      }
      const result = await resolve(redacted, am, options)
      if (!result.ok) alog.warn(`Could not resolve earlier alerts in ${label}: ${result.error} (the build's outcome is unchanged).`)
      else if (result.resolved) alog.info(`Resolved ${result.resolved} firing alert${result.resolved === 1 ? '' : 's'} in ${label}.`)
      return result
    })
    const payload = alertPayload(redacted, ctx.env, config?.metrics)
    const toWebhooks = Promise.all(targets.map(async ({ hook, index }) => {
      const body = hook.format === 'slack' ? slackPayload(payload) : payload
      const result = await postJson(hook.url, body, { ...delivery, headers: hook.headers })
      const label = webhookLabel(hook, index)
      if (result.ok) alog.info(`Sent the "${outcome}" alert to ${label}.`)
      else alog.warn(`Could not deliver the "${outcome}" alert to ${label} after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}: ${result.error} (the build's outcome is unchanged).`)
      return result
    }))
    results = [...await toWebhooks, ...await Promise.all(toManagers)]
  } catch (error) {
    alog.warn(`Alerts failed (ignored): ${errorMessage(error)}`)
  }
  return results
}
