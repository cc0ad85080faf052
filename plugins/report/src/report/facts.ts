import type { GateVerdict } from '@mlci/core'
import type { ErrorRecord, RunRecord } from '@mlci/core'
import type { RegistrySnapshot } from './history.js'

/**
 * What happened, in the words people act on. Derived from the run record only, so reports,
 * summaries and alerts agree. `rolledback` wins over `failed`: a rollback is the news.
 */
export type Outcome = 'success' | 'failed' | 'vetoed' | 'rolledback' | 'interrupted'
export const OUTCOMES: readonly Outcome[] = ['success', 'failed', 'vetoed', 'rolledback', 'interrupted']

export function outcomeOf(record: RunRecord): Outcome {
  // The rollback phase runs after every monitor failure, but an analysis that could not measure
  // asks for no rollback (rollback: false) and the policy then leaves everything as it was.
  const declined = !record.data.rollback && (record.data.analysis ?? []).some((a) => a.rollback === false) && !(record.data.analysis ?? []).some((a) => a.rollback === true)
  const rolledBack = Boolean(record.data.rollback) || (!declined && record.phases.some((p) => p.name === 'rollback'))
  if (record.status === 'interrupted') return 'interrupted'
  if (record.status === 'vetoed') return 'vetoed'
  if (rolledBack) return 'rolledback'
  return record.status === 'ok' ? 'success' : 'failed'
}

export const OUTCOME_LABEL: Record<Outcome, { icon: string; text: string }> = {
  success: { icon: '✅', text: 'passed' },
  failed: { icon: '❌', text: 'failed' },
  vetoed: { icon: '⛔', text: 'vetoed by the gate' },
  rolledback: { icon: '↩️', text: 'rolled back' },
  interrupted: { icon: '⏹️', text: 'interrupted' },
}

/** The phase and plugin that broke the run (the headline error, else the first failed tap). */
export function failingStep(record: RunRecord): (ErrorRecord & { phase?: string; plugin?: string }) | undefined {
  if (record.status === 'ok') return undefined
  const phase = record.phases.find((p) => p.status === 'failed' && p.name !== 'rollback')
  const tap = phase?.taps.find((t) => t.status === 'failed')
  const error = record.error ?? phase?.error ?? tap?.error
  if (!error) return phase ? { code: 'MLCI_UNKNOWN', message: `${phase.name} failed`, phase: phase.name } : undefined
  return { ...error, phase: error.phase ?? phase?.name, plugin: error.plugin ?? tap?.plugin }
}

/**
 * The version the candidate is compared with: the one that was live before this run. After a
 * successful deploy the `live` alias points at the candidate itself, so prefer what the gate
 * and the version decision recorded.
 */
export function baselineVersion(record: RunRecord, snapshot?: RegistrySnapshot): string | undefined {
  const candidate = record.data.candidate?.version
  const recorded = record.data.gate?.liveVersion ?? record.data.candidate?.previous
  if (recorded) return recorded
  const live = snapshot?.aliases.live
  if (live && live !== candidate) return live
  const before = snapshot?.ledger.filter((m) => m.alias === 'live' && m.runId === record.id && m.from)[0]
  return before?.from
}

export interface MetricRow {
  name: string
  candidate?: number
  live?: number
  delta?: number
  verdict?: GateVerdict
}

/** Candidate metrics next to the baseline's, with deltas and the gate's verdict per metric. */
export function metricRows(record: RunRecord, snapshot?: RegistrySnapshot): MetricRow[] {
  const verdicts = record.data.gate?.verdicts ?? []
  const baseline = baselineVersion(record, snapshot)
  const liveMetrics = snapshot?.versions.find((v) => v.version === baseline)?.metrics ?? {}
  const candidateMetrics = record.data.metrics ?? snapshot?.versions.find((v) => v.version === record.data.candidate?.version)?.metrics ?? {}
  const names = [...new Set([...Object.keys(candidateMetrics), ...verdicts.map((v) => v.metric)])]
  return names.map((name) => {
    const verdict = verdicts.find((v) => v.metric === name)
    const candidate = candidateMetrics[name] ?? verdict?.candidate
    const live = verdict?.live ?? liveMetrics[name]
    const delta = candidate !== undefined && live !== undefined ? candidate - live : undefined
    return { name, candidate, live, delta, verdict }
  })
}

/** One sentence: `mlci build rolled back 1.3.0 → 1.2.0`, `mlci build failed in test (pytest)`. */
export function headline(record: RunRecord): string {
  const outcome = outcomeOf(record)
  const command = record.command.split(' ').slice(0, 2).join(' ')
  const version = record.version ?? record.data.candidate?.version
  const failing = failingStep(record)
  const where = failing?.phase ? ` in ${failing.phase}${failing.plugin ? ` (${failing.plugin})` : ''}` : ''
  switch (outcome) {
    case 'success': return `${command} passed${version ? `: version ${version}` : ''}`
    case 'vetoed': return `${command} was vetoed${version ? ` for ${version}` : ''}: ${record.error?.message.replace(/^Vetoed:\s*/, '') ?? 'the gate refused the candidate'}`
    case 'rolledback': {
      const rb = record.data.rollback
      const move = rb?.from || rb?.to ? ` ${rb.from ?? '?'} → ${rb.to ?? '?'}` : ''
      return `${command} rolled back${move}${where ? ` after a failure${where}` : ''}${rb && !rb.ok ? ' (the rollback failed too)' : ''}`
    }
    case 'interrupted': return `${command} was interrupted${where}`
    default: return `${command} failed${where}${version ? ` (version ${version})` : ''}`
  }
}
