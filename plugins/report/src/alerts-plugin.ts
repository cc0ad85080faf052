import { ErrorCode, definePlugin, packageVersion, validateOptions, type Shape } from '@mlci/core'
import { ALERTS_SHAPE, alertSecrets, checkAlertsConfig, type AlertsConfig } from './alerts/config.js'

export const ALERTS_PLUGIN = 'mlci:alerts'

/**
 * Alerts: webhooks (mlci's JSON or Slack) for the outcomes they subscribe to, and Alertmanager
 * alerts fired by failed runs and resolved by the next good one. Taps only `recorded`, a public
 * run-level hook (after the record is written and the repo lock released, so a slow webhook
 * never holds up the next run). Added by default when the config has an `alerts` key.
 */
export default definePlugin((options: AlertsConfig = {}) => {
  const config = validateOptions<AlertsConfig>('alerts', options, (ALERTS_SHAPE as { shape: Shape }).shape, { root: 'config.alerts', code: ErrorCode.CONFIG_INVALID })
  checkAlertsConfig(config, 'the mlci config')
  return {
    name: ALERTS_PLUGIN,
    version: packageVersion(import.meta.url, '@mlci/plugin-report'),
    apply(mlci) {
      // Webhook URLs and header values are secrets: masked in every output from now on.
      mlci.redactor.add(alertSecrets(config))
      mlci.hooks.recorded.tapPromise(ALERTS_PLUGIN, async (record, ctx) => {
        // The senders load only when a run is recorded, not on every start.
        const { sendRunAlerts } = await import('./alerts/send.js')
        await sendRunAlerts(config, record, ctx)
      })
    },
  }
})
