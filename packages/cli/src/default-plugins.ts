import type { LoadedPlugin, ResolvedConfig } from '@mlci/core'
import { ErrorCode, MlciError, validateOptions, type Shape } from '@mlci/core'
import { ALERTS_PLUGIN, REPORT_PLUGIN, REPORT_SHAPE, alerts, report } from '@mlci/plugin-report/plugins'

const SOURCE = '@mlci/plugin-report (default)'

/**
 * First-party plugins a user expects without listing them: run reports always (options from the
 * config's `report` key) and alerts when the config has an `alerts` key. They are ordinary
 * plugins on public hooks; a config that lists `report()` or `alerts()` itself configures them
 * there instead (and then may not also set the top-level key, which would be ignored).
 */
export function withDefaultPlugins(config: ResolvedConfig): ResolvedConfig {
  const where = config.file ?? 'inline config'
  const listed = (name: string) => config.plugins.some((p) => p.plugin.name === name)
  const defaults: LoadedPlugin[] = []
  for (const [key, name, factory] of [['report', REPORT_PLUGIN, report], ['alerts', ALERTS_PLUGIN, alerts]] as const) {
    const options = config[key]
    if (listed(name)) {
      if (options !== undefined) {
        throw new MlciError(ErrorCode.CONFIG_INVALID, `${where} sets "${key}" and also lists the ${name} plugin: the top-level "${key}" options would be ignored.`, {
          hint: `Move the options into the plugin (${key}({ … })) and remove the top-level "${key}" key.`,
        })
      }
      continue
    }
    if (key === 'alerts' && options === undefined) continue
    // Errors name the key the user wrote (config.report.formats[0]), not the plugin package.
    if (key === 'report') validateOptions('report', options, (REPORT_SHAPE as { shape: Shape }).shape, { root: 'config.report', code: ErrorCode.CONFIG_INVALID })
    const plugin = factory(options as never)
    defaults.push({ plugin, source: SOURCE, version: plugin.version })
  }
  return defaults.length ? { ...config, plugins: [...config.plugins, ...defaults] } : config
}
