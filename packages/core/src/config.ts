import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { ErrorCode, MlciError, errorMessage } from './errors.js'
import { validateOptions, type Shape } from './options.js'
import { isPlugin, optionProblems, problemsOfError, type MlciPlugin } from './plugin.js'
import { pluginOptionsError, type PluginProblems } from './options-schema.js'
import { CORE_VERSION } from './version.js'
import type { TimeoutsConfig } from './timeouts.js'
import { findPackageJson } from './package-version.js'
import { REGISTRY_SHAPE, STORE_SHAPE, type RegistryConfig, type StoreConfig } from './shared/settings.js'
import { loadModuleFile, resolveFromMlciLocation } from './core-resolution.js'
import { satisfiesCaret } from './caret-range.js'

/** A plugin entry in config: an instance, a specifier, `[specifier, options]`, nested lists, or falsy (ignored). */
export type PluginEntry = MlciPlugin | string | [string, unknown?] | PluginEntry[] | false | null | undefined | 0 | ''

/** What users write in mlci.config.ts (`export default defineConfig({...})`). */
export interface UserConfig {
  plugins?: PluginEntry[]
  /** Extra literal secrets to redact everywhere (env vars with secret-looking names are redacted anyway). */
  secrets?: string[]
  cache?: { maxSizeMB?: number }
  runs?: { keep?: number }
  watch?: { debounce?: number; phases?: string[]; deploy?: boolean; ignore?: string[] }
  /**
   * Options of the default report plugin (`@mlci/plugin-report`: report files and the GitHub step
   * summary written at the end of each run); validated by that plugin when the project loads.
   */
  report?: Record<string, unknown>
  /** Options of the alerts plugin (`@mlci/plugin-report`'s `alerts()`: webhooks, Slack, Alertmanager), added when this key is set. */
  alerts?: Record<string, unknown>
  /** The shared registry (PostgreSQL) and the model's name in it; default: the embedded registry under .mlci/. */
  registry?: RegistryConfig
  /** The shared store (S3) for artifacts and the phase cache; default: .mlci/objects only. */
  store?: StoreConfig
  /** Time limit per phase (`{ deploy: '10m', default: '30m' }`); see timeouts.ts for the defaults. */
  timeouts?: TimeoutsConfig
}

export interface LoadedPlugin {
  plugin: MlciPlugin
  /** Where it came from: `config` (instance) or the specifier. */
  source: string
  version?: string
  /** The module file a specifier resolved to (absent for instances: see MlciPlugin.module). */
  file?: string
}

export interface ResolvedConfig extends Omit<UserConfig, 'plugins'> {
  /** The config file (absent for inline configs in tests). */
  file?: string
  /** The project root: the config file's folder. */
  root: string
  plugins: LoadedPlugin[]
}

export function defineConfig(config: UserConfig): UserConfig {
  return config
}

/**
 * Top-level config keys and their shapes. Later features add their key here so a typo in the
 * config is caught before anything runs.
 */
export const CONFIG_SHAPE: Shape = {
  plugins: 'any',
  secrets: 'string[]',
  cache: { shape: { maxSizeMB: { min: 0 } } },
  // keep ≥ 1: 0 would delete every run record, the current one included.
  runs: { shape: { keep: { min: 1, integer: true } } },
  watch: { shape: { debounce: { min: 0 }, phases: 'string[]', deploy: 'boolean', ignore: 'string[]' } },
  // Validated by the plugins these options belong to (@mlci/plugin-report).
  report: 'object',
  alerts: 'object',
  registry: { shape: REGISTRY_SHAPE },
  store: { shape: STORE_SHAPE },
  timeouts: { record: ['string', 'number'] },
}

function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Resolve a specifier from the config file's folder (node_modules lookup, or a relative path). */
function resolveSpecifier(specifier: string, fromDir: string, configFile: string): string {
  const require = createRequire(join(fromDir, 'noop.js'))
  try {
    return require.resolve(specifier)
  } catch (error) {
    // Plugins installed next to mlci (a global install, npx) are found too.
    const besideMlci = specifier.startsWith('.') ? undefined : resolveFromMlciLocation(specifier)
    if (besideMlci) return besideMlci
    throw new MlciError(ErrorCode.PLUGIN_NOT_FOUND, `Cannot find plugin "${specifier}" (from ${configFile}).`, {
      hint: `Install it next to your config (npm install -D ${packageName(specifier)}) or fix the name in ${configFile}.`,
      cause: error,
    })
  }
}

async function loadSpecifier(specifier: string, options: unknown, fromDir: string, configFile: string): Promise<LoadedPlugin & { problems?: string[] }> {
  const file = resolveSpecifier(specifier, fromDir, configFile)
  let mod: Record<string, unknown>
  try {
    if (/\.[mc]?tsx?$/.test(file)) {
      // A TypeScript plugin by path: compiled the way TS configs are (load-config.ts), cached beside it.
      const { loadTsConfigModule } = await import('./load-config.js')
      const loaded = await loadTsConfigModule(file)
      mod = typeof loaded === 'function' || isPlugin(loaded) ? { default: loaded } : loaded as Record<string, unknown>
    } else mod = await loadModuleFile(file)
  } catch (error) {
    throw new MlciError(ErrorCode.PLUGIN_INVALID, `Plugin "${specifier}" failed to load: ${errorMessage(error)}`, {
      hint: `Check that ${specifier} is built and is an ES module or CommonJS module exporting a plugin factory.`, cause: error,
    })
  }
  const factory = (mod.default ?? mod.plugin) as unknown
  let plugin: unknown
  if (typeof factory === 'function') {
    try {
      plugin = (factory as (o: unknown) => unknown)(options)
    } catch (error) {
      // A factory that validates its own options: reported with every other plugin's problems.
      if (MlciError.is(error) && error.code === ErrorCode.PLUGIN_OPTIONS) {
        return { plugin: { name: error.plugin ?? specifier, apply() {} }, source: specifier, problems: problemsOfError(error) }
      }
      throw error
    }
  } else if (isPlugin(factory)) plugin = factory
  if (!isPlugin(plugin)) {
    throw new MlciError(ErrorCode.PLUGIN_INVALID, `"${specifier}" (from ${configFile}) is not an mlci plugin: its default export must be a factory returning { name, apply }.`, {
      hint: 'Export `definePlugin((options) => ({ name, apply(mlci) { … } }))` as the default export.',
    })
  }
  const version = plugin.version ?? (specifier.startsWith('.') ? undefined : findPackageJson(file, packageName(specifier))?.version)
  return { plugin, source: specifier, version, file }
}

async function checkCompatibility(loaded: LoadedPlugin): Promise<void> {
  const range = loaded.plugin.core
  if (!range) return
  // semver is a large module: loaded only for a range satisfiesCaret cannot answer.
  const ok = satisfiesCaret(CORE_VERSION, range) ?? (await import('semver')).default.satisfies(CORE_VERSION, range, { includePrerelease: true })
  if (!ok) {
    throw new MlciError(ErrorCode.PLUGIN_INCOMPATIBLE,
      `Plugin ${loaded.plugin.name}${loaded.version ? `@${loaded.version}` : ''} supports @mlci/core ${range}, but this is @mlci/core ${CORE_VERSION}.`,
      { hint: `Upgrade the plugin (or mlci) so the versions match.`, plugin: loaded.plugin.name })
  }
}

/** Flatten, drop falsy entries, resolve specifiers, check each plugin. */
export async function resolvePlugins(entries: unknown, root: string, configFile: string): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = []
  const visit = async (entry: unknown, path: string): Promise<void> => {
    if (!entry) return
    if (isPlugin(entry)) {
      out.push({ plugin: entry, source: 'config', version: entry.version })
    } else if (typeof entry === 'string') {
      out.push(await loadSpecifier(entry, undefined, root, configFile))
    } else if (Array.isArray(entry) && typeof entry[0] === 'string' && entry.length <= 2 && !isPlugin(entry[1]) && (entry.length === 1 || typeof entry[1] !== 'string')) {
      out.push(await loadSpecifier(entry[0], entry[1], root, configFile))
    } else if (Array.isArray(entry)) {
      for (const [i, item] of entry.entries()) await visit(item, `${path}[${i}]`)
    } else {
      throw new MlciError(ErrorCode.CONFIG_INVALID,
        `${path} in ${configFile} is not a plugin (got ${typeof entry === 'function' ? 'a function — did you forget to call it?' : JSON.stringify(entry)}).`,
        { hint: 'A plugin entry is a plugin instance, "specifier", or ["specifier", options].' })
    }
  }
  if (entries !== undefined && !Array.isArray(entries)) {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `"plugins" in ${configFile} must be an array.`, { hint: 'Write plugins: [pytest(), trainer({...})].' })
  }
  for (const [i, entry] of ((entries as unknown[]) ?? []).entries()) await visit(entry, `plugins[${i}]`)
  // Every plugin's option problems at once (exit 2), before anything is applied or run.
  const invalid: PluginProblems[] = []
  for (const loaded of out as (LoadedPlugin & { problems?: string[] })[]) {
    const problems = loaded.problems ?? optionProblems(loaded.plugin)
    if (problems?.length) invalid.push({ plugin: loaded.plugin.name, problems })
  }
  if (invalid.length) throw pluginOptionsError(invalid, configFile)
  const seen = new Set<string>()
  for (const loaded of out) {
    await checkCompatibility(loaded)
    if (seen.has(loaded.plugin.name)) {
      throw new MlciError(ErrorCode.CONFIG_INVALID, `Plugin "${loaded.plugin.name}" is listed twice in ${configFile}.`, {
        hint: 'Give each instance a distinct instance name with the `name` option (`trainer({ name: \'small\', … })` → @mlci/plugin-trainer#small; docs/plugins.md, "Using a plugin twice"), or remove the duplicate.',
      })
    }
    seen.add(loaded.plugin.name)
  }
  return out
}

/** Validate a raw config object and resolve its plugins. */
export async function resolveConfig(raw: unknown, file: string | undefined, root: string): Promise<ResolvedConfig> {
  const shown = file ? relative(process.cwd(), file) || file : 'inline config'
  validateOptions(shown, raw, CONFIG_SHAPE, { root: 'config', code: ErrorCode.CONFIG_INVALID })
  const config = raw as UserConfig
  const plugins = await resolvePlugins(config.plugins, root, shown)
  return { ...config, file, root, plugins }
}
