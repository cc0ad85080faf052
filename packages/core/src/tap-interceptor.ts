import type { LoadedPlugin } from './config.js'
import type { PhaseContext } from './context.js'
import { wrapTapError, type MlciError } from './errors.js'
import { ISOLATED_HOOKS, ISOLATED_WATERFALLS, checkTapResult, type HookName, type Hooks } from './hooks.js'
import { guardTap } from './tap-guard.js'
import { checkVerifyPhases } from './verify-scope.js'
import type { LifecyclePhase } from './phases.js'
import { toErrorRecord, type TapRecord } from './run-record.js'

/** A registered tap, as `mlci plugins` shows it. */
export interface TapInfo {
  hook: HookName
  name: string
  stage: number
  plugin: string
  version?: string
  before?: string | string[]
  /** verify taps only: the phases the check is for (the tap's `phases` option); see verify-scope.ts. */
  phases?: LifecyclePhase[]
}

/** What the interceptor needs from the core that owns the hooks. */
export interface TapHost {
  /** The plugin whose apply() is running: it owns the taps registered now. */
  owner(): LoadedPlugin | undefined
  registered(info: TapInfo): void
  /** Replace the context (last argument) with one scoped to the tap's plugin and given the tap's own signal. */
  scope(args: unknown[], info: TapInfo, signal?: AbortSignal): unknown[]
  /** Milliseconds this tap may still run (its phase's limit), or undefined for no limit. */
  timeLeft(base: object, hook: HookName): number | undefined
  /** A tap of an isolated run-level hook failed: report it (naming the plugin); the run's outcome stands. */
  isolatedFailure(hook: HookName, info: TapInfo, error: MlciError, base: object): void
  tapStarted(phase: string, info: TapInfo): void
  tapEnded(phase: string, info: TapInfo, record: TapRecord): void
  /** Where a tap's error goes instead of being thrown, for hooks that collect them (verify). */
  collector(base: object): MlciError[] | undefined
  /** A tap this run leaves out (a verify check for phases the command will not run): not called, no events. */
  leftOut(info: TapInfo, base: object): boolean
}

interface RawTap {
  name: string
  type: string
  fn: (...args: unknown[]) => unknown
  stage?: number
  before?: string | string[]
  phases?: unknown
}

/**
 * Wrap every tap of every hook through tapable's `register` interceptor: the tap gets a context
 * scoped to its plugin, is timed, reported as events, and whatever it throws is wrapped once
 * into an error naming phase and plugin (webpack's HookWebpackError). Callback-style and sync
 * taps become promise taps, so one code path handles them all.
 */
export function interceptTaps(hooks: Hooks, host: TapHost): void {
  for (const hookName of Object.keys(hooks) as HookName[]) {
    const hook = hooks[hookName] as unknown as { intercept(interceptor: { register(tap: RawTap): RawTap }): void }
    hook.intercept({ register: (tap) => wrapTap(hookName, isSyncHook(hooks[hookName]), tap, host) })
  }
}

/** tapable's SyncHook has no usable prototype (`instanceof` throws); it names itself. */
function isSyncHook(hook: object): boolean {
  return hook.constructor.name === 'SyncHook'
}

function wrapTap(hookName: HookName, sync: boolean, raw: RawTap, host: TapHost): RawTap {
  const owner = host.owner()
  // A named instance (`name` option) taps under its package name: give the tap the instance's
  // identity, so two instances' taps stay apart (tapsOf, `before`, logs, records).
  const tap = owner?.plugin.package && raw.name === owner.plugin.package ? { ...raw, name: owner.plugin.name } : raw
  const info: TapInfo = {
    hook: hookName, name: tap.name, stage: tap.stage ?? 0, before: tap.before,
    plugin: owner?.plugin.name ?? tap.name, version: owner?.version,
  }
  const phases = hookName === 'verify' ? checkVerifyPhases(info.plugin, tap.phases) : undefined
  if (phases) info.phases = phases
  host.registered(info)
  const original = tap.fn
  const callOriginal = (args: unknown[]) =>
    tap.type === 'async'
      ? new Promise((resolve, reject) => original(...args, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r))))
      : original(...args)
  // A synchronous hook (watch's `invalid`) can't await a promise tap: scoped, not timed.
  if (sync) return { ...tap, fn: (...args: unknown[]) => callOriginal(host.scope(args, info)) }

  const record = (status: 'ok' | 'failed', started: number, error?: MlciError): TapRecord => ({
    name: info.name, plugin: info.plugin, version: info.version, status,
    durationMs: Math.round(performance.now() - started), ...(error ? { error: toErrorRecord(error) } : {}),
  })
  const wrapped = async (...args: unknown[]) => {
    const base = args[args.length - 1] as PhaseContext
    if (host.leftOut(info, base)) return undefined
    const phase = base.phase ?? hookName
    host.tapStarted(phase, info)
    const started = performance.now()
    // The tap's own signal: the run's, plus its timeout, so a timed-out tap's processes stop.
    const own = new AbortController()
    const signal = base.signal ? AbortSignal.any([base.signal, own.signal]) : own.signal
    try {
      const work = Promise.resolve().then(() => callOriginal(host.scope(args, info, signal)))
      const result = checkTapResult(hookName, info.plugin, await guardTap(work, {
        phase, plugin: info.plugin, timeoutMs: host.timeLeft(base, hookName), signal: base.signal ?? own.signal,
        abortTap: (reason) => own.abort(reason),
      }), args)
      host.tapEnded(phase, info, record('ok', started))
      return result
    } catch (error) {
      const wrappedError = wrapTapError(error, phase, info.plugin)
      host.tapEnded(phase, info, record('failed', started, wrappedError))
      if (ISOLATED_HOOKS.has(hookName)) {
        host.isolatedFailure(hookName, info, wrappedError, base)
        // A waterfall (report, sections, publish) passes its input on unchanged; the others return nothing.
        return ISOLATED_WATERFALLS.has(hookName) ? args[0] : undefined
      }
      const sink = host.collector(base)
      if (!sink) throw wrappedError
      sink.push(wrappedError)
      return undefined
    }
  }
  return { ...tap, type: 'promise', fn: wrapped }
}
