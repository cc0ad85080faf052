import { ErrorCode, MlciError } from './errors.js'
import type { Mlci } from './mlci.js'
import { checkPluginOptions, pluginOptionsError, type StandardSchemaV1 } from './options-schema.js'
import { callerModule } from './caller-module.js'

/** A plugin: a name and an `apply` that registers taps. `apply` does no I/O and awaits nothing. */
export interface MlciPlugin {
  /** The plugin's identity: its package name, or `package#instance` for a named instance. */
  name: string
  /** The plugin's package version, shown in `mlci plugins` and recorded in run records. */
  version?: string
  /** The @mlci/core semver range the plugin supports; checked at load. */
  core?: string
  /** The options schema core validated this instance's options with (set by `definePlugin`). */
  optionsSchema?: StandardSchemaV1
  /** The package name when `name` carries an instance (`{ name: 'small' }` → `pkg#small`). */
  package?: string
  /** The instance name given by the `name` option, if any. */
  instance?: string
  /** The file URL of the module that defined the plugin (its code is part of cache fingerprints). */
  module?: string
  apply(mlci: Mlci): void
}

/** The reserved `name` option every plugin made with a definition accepts: an instance name. */
export interface InstanceOption {
  /** Instance name: makes the plugin's identity `<package>#<name>`, so one plugin can be listed twice. */
  name?: string
}

/** What a plugin declares about itself; core validates its options against `options` before anything runs. */
export interface PluginDefinition<O> {
  /** The package name (the plugin's identity, and the owner in error messages). */
  name: string
  /** A Standard Schema (valibot, zod, …) or `optionsSchema(shape)`; its output type is what the factory gets. */
  options: StandardSchemaV1<unknown, O>
}

/** A factory made by `definePlugin(definition, …)`: its name and schema are readable without calling it. */
export type PluginFactory<O> = ((options?: O & InstanceOption) => MlciPlugin) & {
  readonly pluginName: string
  readonly optionsSchema: StandardSchemaV1
}

/**
 * Where core finds the option problems of an instance whose options did not validate: the
 * factory returns a stand-in plugin, so every plugin of a config is checked and all problems are
 * reported together (config.ts). `Symbol.for`: a plugin may load a second copy of core.
 */
export const OPTION_PROBLEMS = Symbol.for('mlci.optionProblems')
const COLLECTING = Symbol.for('mlci.collectingOptionProblems')

/**
 * While mlci loads a config, a factory given invalid options returns a stand-in instead of
 * throwing, so the config module runs to the end and every plugin's problems are reported
 * together. Called anywhere else (a test, a script), the factory throws them as before.
 */
export async function collectingOptionProblems<T>(load: () => Promise<T>): Promise<T> {
  const g = globalThis as Record<symbol, number | undefined>
  g[COLLECTING] = (g[COLLECTING] ?? 0) + 1
  try {
    return await load()
  } finally {
    g[COLLECTING] = (g[COLLECTING] ?? 1) - 1
  }
}

function collecting(): boolean {
  return Boolean((globalThis as Record<symbol, number | undefined>)[COLLECTING])
}

/**
 * Type a plugin factory. Two forms:
 * - `definePlugin({ name, options: schema }, (options, { instance }) => ({ … }))`: core validates
 *   the options against the schema (all problems at once, with key paths), handles the reserved
 *   `name` option (the instance name), and calls the factory with the validated value.
 * - `definePlugin((options) => ({ … }))`: the factory validates what it wants itself.
 */
export function definePlugin<O = void, A extends unknown[] = O extends void ? [] : [options?: O]>(
  factory: (...args: A) => MlciPlugin,
): (...args: A) => MlciPlugin
export function definePlugin<O>(
  definition: PluginDefinition<O>,
  factory: (options: O, instance: { name?: string }) => MlciPlugin,
): PluginFactory<O>
export function definePlugin(
  first: PluginDefinition<unknown> | ((...args: unknown[]) => MlciPlugin),
  second?: (options: unknown, instance: { name?: string }) => MlciPlugin,
): unknown {
  const module = callerModule()
  if (typeof first === 'function') {
    return (...args: unknown[]) => located(guard(() => first(...args), undefined), module)
  }
  const { name, options: schema } = first
  const make = (raw?: unknown) => {
    const { instance, rest, problem } = splitInstance(name, raw)
    const checked = checkPluginOptions(name, schema, rest)
    const problems = [...(problem ? [problem] : []), ...('problems' in checked ? checked.problems : [])]
    const id = instance === undefined ? name : `${name}#${instance}`
    if (problems.length) return invalidPlugin(id, problems)
    const plugin = guard(() => second!((checked as { value: unknown }).value, { name: instance }), id)
    plugin.optionsSchema ??= schema
    if (instance !== undefined && !(OPTION_PROBLEMS in plugin)) Object.assign(plugin, { name: id, package: plugin.name, instance })
    return located(plugin, module)
  }
  return Object.assign(make, { pluginName: name, optionsSchema: schema })
}

/** Take the reserved `name` (instance) option out of the options the schema and factory see. */
function splitInstance(owner: string, raw: unknown): { instance?: string; rest: unknown; problem?: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('name' in raw)) return { rest: raw }
  const { name, ...rest } = raw as { name?: unknown }
  if (name === undefined) return { rest }
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) {
    return { rest, problem: `${owner}.name (the instance name) must be letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}` }
  }
  return { instance: name, rest }
}

/** Run a factory; an option error it throws (its own extra checks) becomes a stand-in, so it is reported with the others. */
function guard(make: () => MlciPlugin, id: string | undefined): MlciPlugin {
  try {
    return make()
  } catch (error) {
    if (MlciError.is(error) && error.code === ErrorCode.PLUGIN_OPTIONS && collecting()) {
      return invalidPlugin(id ?? error.plugin ?? 'a plugin', problemsOfError(error))
    }
    throw error
  }
}

/** The problems an option error lists ("Invalid options for x:\n  - a\n  - b" → [a, b]). */
export function problemsOfError(error: MlciError): string[] {
  const text = error.message.replace(/^Invalid options?(?: (?:for|in) [^:\n]+)?:\s*/, '').replace(/\.$/, '')
  return text.split('\n').map((line) => line.replace(/^\s*- /, '').replace(/\.$/, '')).filter(Boolean)
}

function located(plugin: MlciPlugin, module: string | undefined): MlciPlugin {
  if (module && plugin && typeof plugin === 'object' && !plugin.module) plugin.module = module
  return plugin
}

function invalidPlugin(name: string, problems: string[]): MlciPlugin {
  if (!collecting()) throw pluginOptionsError([{ plugin: name, problems }], 'your mlci config')
  return {
    name,
    [OPTION_PROBLEMS]: problems,
    apply() {
      throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Invalid options for ${name}:\n  - ${problems.join('\n  - ')}`, { plugin: name })
    },
  } as MlciPlugin
}

/** The option problems of a stand-in returned for invalid options, if `plugin` is one. */
export function optionProblems(plugin: MlciPlugin): string[] | undefined {
  return (plugin as unknown as Record<symbol, string[] | undefined>)[OPTION_PROBLEMS]
}

export function isPlugin(value: unknown): value is MlciPlugin {
  return typeof value === 'object' && value !== null
    && typeof (value as MlciPlugin).name === 'string'
    && typeof (value as MlciPlugin).apply === 'function'
}
