/**
 * @mlci/plugin-report: run reports and alerts as plugins on mlci's public run-level hooks.
 * `report()` (publish hook) writes markdown/HTML reports and the step summary; `alerts()`
 * (recorded hook) sends webhooks, Slack messages and Alertmanager alerts. mlci adds both by
 * default from the config's `report` / `alerts` keys; list them yourself to configure them there.
 */
export { default, REPORT_PLUGIN } from './report-plugin.js'
export { default as alerts, ALERTS_PLUGIN } from './alerts-plugin.js'
export { buildReport, summarizeRun, type ReportDoc, type ReportInput, type RunSummary, type Block as ReportBlock } from './report/document.js'
export { renderMarkdown, REPORT_MARKER, runMarker } from './report/markdown.js'
export { renderHtml, renderHtmlReport } from './report/html.js'
export { chartCacheDir } from './report/chart-cache.js'
export { loadRegistrySnapshot, rollbackMoves, type RegistrySnapshot, type RollbackMove } from './report/history.js'
export { outcomeOf, headline, failingStep, metricRows, OUTCOMES, type Outcome, type MetricRow } from './report/facts.js'
export { appendStepSummary } from './report/step-summary.js'
export { registryOf, writeRunReports } from './report/publish.js'
export { REPORT_SHAPE, type ReportConfig } from './report/config.js'
export { alertPayload, slackPayload, type AlertPayload } from './alerts/payload.js'
export { postJson, type DeliveryResult, type DeliveryOptions } from './alerts/deliver.js'
export { ALERTS_SHAPE, type AlertsConfig, type WebhookConfig, type AlertmanagerConfig } from './alerts/config.js'
