import { ErrorCode, definePlugin, packageVersion, validateOptions, type Shape } from '@mlci/core'
import { REPORT_SHAPE, type ReportConfig } from './report/config.js'
import { reportsWanted } from './report/wanted.js'

export const REPORT_PLUGIN = 'mlci:report'
const PACKAGE = '@mlci/plugin-report'

/**
 * Run reports: `<run>.md` and `<run>.html` (with ECharts SVG charts) next to each run record,
 * and the markdown appended to `$GITHUB_STEP_SUMMARY`. Taps only `publish`, a public run-level
 * hook, like any third-party plugin. Added by default with the config's `report` options.
 * The renderers load only when a run has something to report: a no-op build never loads them.
 */
export default definePlugin((options: ReportConfig = {}) => {
  const config = validateOptions<ReportConfig>(PACKAGE, options, (REPORT_SHAPE as { shape: Shape }).shape, { code: ErrorCode.CONFIG_INVALID })
  return {
    name: REPORT_PLUGIN,
    version: packageVersion(import.meta.url, PACKAGE),
    apply(mlci) {
      mlci.hooks.publish.tapPromise(REPORT_PLUGIN, async (files, record, ctx) => {
        if (!reportsWanted(config, files, record, ctx)) return files
        const { writeRunReports } = await import('./report/publish.js')
        return writeRunReports(config, files, record, ctx)
      })
    },
  }
})
