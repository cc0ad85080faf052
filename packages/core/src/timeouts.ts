import { parseDuration } from './duration.js'
import { ErrorCode, MlciError } from './errors.js'
import type { HookName } from './hooks.js'

/** `timeouts` in the config: a duration per phase (or run-level hook), plus `default`. */
export type TimeoutsConfig = Partial<Record<HookName | 'default', string | number>>

/**
 * Built-in limits. `test` and `train` have none (a training run may take days); every other
 * phase has one, so a hung tap can never hold the repo lock for ever. `initialize` hosts
 * `mlci rollback`, which may pull an image, hence its size.
 */
export const DEFAULT_TIMEOUTS: Readonly<Partial<Record<HookName, number>>> = Object.freeze({
  initialize: 30 * 60_000,
  verify: 10 * 60_000,
  evaluate: 60 * 60_000,
  gate: 10 * 60_000,
  version: 30 * 60_000,
  deploy: 30 * 60_000,
  monitor: 2 * 60 * 60_000,
  rollback: 30 * 60_000,
  sections: 5 * 60_000,
  report: 5 * 60_000,
  done: 5 * 60_000,
  failed: 5 * 60_000,
  // publish runs with the repo lock held: reports must not keep the next build waiting long.
  publish: 5 * 60_000,
  recorded: 5 * 60_000,
  watchRun: 5 * 60_000,
})

/** Hooks without a built-in limit: `default` does not apply to them either, only their own key. */
const UNLIMITED_BY_DEFAULT = new Set<string>(['test', 'validate', 'train'])

/**
 * Resolve the config's `timeouts` into milliseconds per hook (undefined = no limit).
 * `default` replaces the built-in limits; `0` turns a limit off.
 */
export function resolveTimeouts(config: TimeoutsConfig | undefined, hookNames: readonly string[], file = 'the mlci config'): Partial<Record<HookName, number>> {
  const raw = config ?? {}
  const problems: string[] = []
  const ms = (key: string, value: unknown): number | undefined => {
    try {
      return parseDuration(value, `timeouts.${key}`)
    } catch (error) {
      problems.push((error as Error).message)
      return undefined
    }
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'default' && !hookNames.includes(key)) problems.push(`timeouts.${key} is not a phase (known: ${[...hookNames, 'default'].join(', ')})`)
  }
  const fallback = raw.default === undefined ? undefined : ms('default', raw.default)
  const out: Partial<Record<HookName, number>> = {}
  for (const hook of hookNames as HookName[]) {
    const own = raw[hook] === undefined ? undefined : ms(hook, raw[hook])
    const value = own ?? (UNLIMITED_BY_DEFAULT.has(hook) ? undefined : fallback ?? DEFAULT_TIMEOUTS[hook])
    if (value) out[hook] = value
  }
  if (problems.length) {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `Invalid timeouts in ${file}: ${problems.join('; ')}.`, {
      hint: "Write durations such as timeouts: { test: '2m', deploy: '10m', default: '30m' } (0 turns a limit off).",
    })
  }
  return out
}
