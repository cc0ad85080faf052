import { formatLimit } from './duration.js'
import { ErrorCode, MlciError } from './errors.js'

/** A tap that has started and not settled: what Ctrl-C says it is stopping. */
export interface InFlightTap {
  phase: string
  plugin: string
  since: number
}

interface Entry extends InFlightTap {
  fail(error: MlciError): void
}

/** How long a tap may keep running after an interrupt before it is abandoned (as exec's SIGTERM → SIGKILL). */
export const ABANDON_GRACE_MS = 3000

const inFlight = new Set<Entry>()

/** Taps running now, oldest first. */
export function inFlightTaps(): InFlightTap[] {
  return [...inFlight].map(({ phase, plugin, since }) => ({ phase, plugin, since }))
}

/**
 * Node's event loop emptied while taps were pending: nothing can ever settle them (no timer,
 * socket or process is left to do it). Without this, Node exits with status 0 in the middle of
 * a run. Fail them, so the run goes on to roll back, write its record and release its lock.
 */
function onBeforeExit(): void {
  for (const entry of [...inFlight]) {
    entry.fail(new MlciError(ErrorCode.NEVER_SETTLED,
      `The ${entry.phase} tap of ${entry.plugin} never settled: its promise was still pending when nothing was left to run.`,
      { phase: entry.phase, plugin: entry.plugin, hint: `A tap must resolve or reject; look in ${entry.plugin} for a promise nothing resolves (a lost callback, an event that never comes).` }))
  }
}

export interface GuardOptions {
  phase: string
  plugin: string
  /** The phase's limit, or what is left of it; none = no limit. */
  timeoutMs?: number
  /** The run's signal (Ctrl-C). */
  signal: AbortSignal
  /** Stop the tap's own work (its exec'd process groups) when it times out. */
  abortTap(reason: MlciError): void
}

/**
 * Settle with `work`, or fail when the phase's time is up, when the tap ignores an interrupt
 * for ABANDON_GRACE_MS, or when the process has nothing left that could settle it. The timers
 * are unref'd: they must not hide a tap that can never settle from the beforeExit check.
 */
export function guardTap<T>(work: Promise<T>, options: GuardOptions): Promise<T> {
  const { phase, plugin, timeoutMs, signal } = options
  return new Promise<T>((resolve, reject) => {
    let done = false
    let timer: NodeJS.Timeout | undefined
    let grace: NodeJS.Timeout | undefined
    const settle = (finish: () => void) => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearTimeout(grace)
      signal.removeEventListener('abort', onAbort)
      inFlight.delete(entry)
      if (!inFlight.size) process.off('beforeExit', onBeforeExit)
      finish()
    }
    const entry: Entry = { phase, plugin, since: Date.now(), fail: (error) => settle(() => reject(error)) }
    const onAbort = () => {
      grace = setTimeout(() => entry.fail(new MlciError(ErrorCode.INTERRUPTED,
        `Interrupted: the ${phase} tap of ${plugin} did not stop within ${formatLimit(ABANDON_GRACE_MS)} and was abandoned.`,
        { phase, plugin })), ABANDON_GRACE_MS)
      grace.unref()
    }
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const error = new MlciError(ErrorCode.PHASE_TIMEOUT, `${phase} timed out after ${formatLimit(timeoutMs)}: ${plugin} was still running.`, {
          phase, plugin,
          hint: `Raise timeouts.${phase} in your mlci config, or find out why ${plugin} hangs (run with --verbose). Its processes were stopped.`,
        })
        options.abortTap(error)
        entry.fail(error)
      }, Math.max(0, timeoutMs))
      timer.unref()
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    if (!inFlight.size) process.on('beforeExit', onBeforeExit)
    inFlight.add(entry)
    work.then((value) => settle(() => resolve(value)), (error) => settle(() => reject(error)))
  })
}
