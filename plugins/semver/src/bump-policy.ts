import { ErrorCode, MlciError, num, type ArtifactRef, type ModelSignature, type ModelVersion } from '@mlci/core'
import { higherIsBetter, type BumpInfo, type BumpKind, type MetricChange, type SemverOptions } from './options.js'

const DEFAULT_MINOR_ON = 0.01

export interface Candidate {
  metrics: Record<string, number>
  params?: Record<string, unknown>
  signature?: ModelSignature
  artifacts: ArtifactRef[]
}

/** What changed in the model's interface; undefined when it did not change (or cannot be told). */
export function signatureChange(before?: ModelSignature, after?: ModelSignature): string | undefined {
  if (!before || !after) return undefined
  const names = (s: ModelSignature) => (s.inputs ?? []).map((i) => `${i.name}:${i.type}`)
  const a = names(before).join(',')
  const b = names(after).join(',')
  if (a !== b) return `inputs [${(before.inputs ?? []).map((i) => i.name).join(', ')}] → [${(after.inputs ?? []).map((i) => i.name).join(', ')}]`
  if (JSON.stringify(before.outputs) !== JSON.stringify(after.outputs)) return `outputs ${JSON.stringify(before.outputs)} → ${JSON.stringify(after.outputs)}`
  return undefined
}

/** The metrics `minorOn` watches, with how much each improved over `previous`. */
export function metricChanges(options: SemverOptions, previous: Record<string, number> | undefined, candidate: Record<string, number>): (MetricChange & { needed: number })[] {
  if (!previous) return []
  const minorOn = options.minorOn ?? DEFAULT_MINOR_ON
  const watched: [string, number][] = typeof minorOn === 'number'
    ? Object.keys(options.gate ?? {}).map((m) => [m, minorOn])
    : Object.entries(minorOn)
  return watched.flatMap(([metric, needed]) => {
    const before = previous[metric]
    const after = candidate[metric]
    if (before === undefined || after === undefined) return []
    const improvement = higherIsBetter(metric, options.gate?.[metric]) ? after - before : before - after
    return [{ metric, previous: before, candidate: after, improvement, needed }]
  })
}

/**
 * The default policy: the signature changed (features or outputs) → major; a watched metric
 * improved by at least its `minorOn` amount → minor; otherwise patch. A user `bump` function
 * gets the facts and the suggestion and may decide otherwise.
 */
export async function decideBump(options: SemverOptions, previous: ModelVersion | undefined, candidate: Candidate): Promise<{ bump: BumpKind; reason: string }> {
  const changedSignature = signatureChange(previous?.signature, candidate.signature)
  const changes = metricChanges(options, previous?.metrics, candidate.metrics)
  let suggested: BumpKind = 'patch'
  let reason = previous ? `no signature change, no metric improved enough vs ${previous.version}` : 'first version'
  const improved = changes.filter((c) => c.improvement >= c.needed - 1e-12 && c.improvement > 0)
  if (changedSignature) {
    suggested = 'major'
    reason = `signature changed: ${changedSignature}`
  } else if (improved.length) {
    suggested = 'minor'
    reason = improved.map((c) => `${c.metric} improved ${num(c.previous)} → ${num(c.candidate)} (≥ ${num(c.needed)})`).join('; ')
  }
  if (!options.bump) return { bump: suggested, reason }
  const info: BumpInfo = { previous, candidate, signatureChanged: Boolean(changedSignature), changes, suggested, reason }
  const chosen = await options.bump(info)
  if (chosen === undefined || chosen === suggested) return { bump: suggested, reason }
  if (!['major', 'minor', 'patch'].includes(chosen)) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `The bump option returned ${JSON.stringify(chosen)}; expected "major", "minor", "patch" or undefined.`, {
      hint: 'Fix the bump function in your mlci config.',
    })
  }
  return { bump: chosen, reason: `${chosen} chosen by the bump option (default policy: ${suggested}, ${reason})` }
}
