import type { Mlci } from './mlci.js'

/** A plugin: a name and an `apply` that registers taps. `apply` does no I/O and awaits nothing. */
export interface MlciPlugin {
  name: string
  /** The plugin's package version, shown in `mlci plugins` and recorded in run records. */
  version?: string
  /** The @mlci/core semver range the plugin supports; checked at load. */
  core?: string
  apply(mlci: Mlci): void
}

/** Identity helper that types a plugin factory: `export default definePlugin((opts: O) => ({ … }))`. */
export function definePlugin<O = void, A extends unknown[] = O extends void ? [] : [options?: O]>(
  factory: (...args: A) => MlciPlugin,
): (...args: A) => MlciPlugin {
  return factory
}

export function isPlugin(value: unknown): value is MlciPlugin {
  return typeof value === 'object' && value !== null
    && typeof (value as MlciPlugin).name === 'string'
    && typeof (value as MlciPlugin).apply === 'function'
}
