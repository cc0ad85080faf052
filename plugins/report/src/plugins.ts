/**
 * `@mlci/plugin-report/plugins`: only the two plugin factories and what a host needs to add them
 * (the CLI adds both by default). Importing the package's main entry loads every renderer; this
 * entry loads them when a run has something to report.
 */
export { default as report, REPORT_PLUGIN } from './report-plugin.js'
export { default as alerts, ALERTS_PLUGIN } from './alerts-plugin.js'
export { REPORT_SHAPE, type ReportConfig } from './report/config.js'
