import { toErrorRecord, type Mlci, type PhaseContext, type PhaseRecord, type TapRecord } from '@mlci/core'

/**
 * Show work done at `initialize` (recovery, `mlci rollback`) as the rollback phase: the same
 * events the run loop emits for a phase, so renderers and the run record show it like one.
 * `show` decides after the fact whether anything happened worth a phase (recovery usually finds
 * nothing to do and stays silent).
 */
export async function asRollbackPhase<T>(mlci: Mlci, ctx: PhaseContext, reason: string, fn: () => Promise<T>, show: (result: T) => boolean = () => true): Promise<T> {
  const taps: TapRecord[] = []
  const onTap = (event: { phase: string; record: TapRecord }) => {
    if (event.phase === 'rollback') taps.push(event.record)
  }
  const started = performance.now()
  let announced = false
  const announce = () => {
    if (!announced) mlci.emit('phase:start', { phase: 'rollback' })
    announced = true
  }
  // Announce as soon as something logs, so a recovery's messages appear inside the phase.
  const onLog = (entry: { phase?: string }) => {
    if (entry.phase === 'rollback') announce()
  }
  mlci.on('tap:end', onTap)
  mlci.prependListener('log', onLog)
  const finish = (status: PhaseRecord['status'], error?: unknown) => {
    const record: PhaseRecord = { name: 'rollback', status, durationMs: Math.round(performance.now() - started), taps, reason, ...(error ? { error: toErrorRecord(error) } : {}) }
    pendingPhases.set(ctx.runId, [...(pendingPhases.get(ctx.runId) ?? []), record])
    mlci.emit('phase:end', record)
  }
  try {
    const result = await fn()
    if (announced || show(result)) {
      announce()
      finish('ok')
    }
    return result
  } catch (error) {
    announce()
    finish('failed', error)
    throw error
  } finally {
    mlci.off('tap:end', onTap)
    mlci.off('log', onLog)
  }
}

/** Phase records produced at initialize, added to the run record by the plugin's report tap. */
export const pendingPhases = new Map<string, PhaseRecord[]>()
