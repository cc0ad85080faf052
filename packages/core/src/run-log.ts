import type { LogEntry } from './logger.js'
import type { Mlci } from './mlci.js'
import type { ErrorRecord, PhaseRecord, TapRecord } from './run-record.js'

/**
 * Put the run's own events into its log file: each tap's result and each phase's outcome, with
 * the full error (code, message, hint, details) of whatever failed. Plugins' log lines say what
 * they did; these lines say how it ended, so `mlci logs --phase monitor` explains a failure by
 * itself. Entries go to the log only, not to the terminal (the renderers show the same events).
 * Returns the unsubscribe function.
 */
export function recordRunEvents(mlci: Mlci, log: LogEntry[]): () => void {
  const onTap = ({ phase, record }: { phase: string; record: TapRecord }) => {
    log.push(record.status === 'ok'
      ? { time: Date.now(), level: 'debug', phase, plugin: record.plugin, message: `${record.name} ok (${record.durationMs} ms)` }
      : { time: Date.now(), level: 'error', phase, plugin: record.plugin, message: `${record.name} failed after ${record.durationMs} ms: ${describe(record.error)}` })
  }
  const onPhase = (phase: PhaseRecord) => {
    const level = phase.status === 'failed' || phase.status === 'interrupted' ? 'error' : 'info'
    const why = phase.status === 'failed' && !phase.taps.some((t) => t.status === 'failed') && phase.error ? `: ${describe(phase.error)}` : phase.reason ? ` (${phase.reason})` : ''
    log.push({ time: Date.now(), level, phase: phase.name, message: `phase ${phase.name}: ${phase.status} in ${phase.durationMs} ms${why}` })
  }
  mlci.on('tap:end', onTap)
  mlci.on('phase:end', onPhase)
  return () => {
    mlci.off('tap:end', onTap)
    mlci.off('phase:end', onPhase)
  }
}

function describe(error: ErrorRecord | undefined): string {
  if (!error) return 'unknown error'
  return [`${error.code}: ${error.message}`, error.hint && `hint: ${error.hint}`, error.details].filter(Boolean).join('\n')
}
