import { ErrorCode, MlciError, num, type ArtifactRef, type ModelSignature, type ModelVersion } from '@mlci/core'
import { betterBy, formatAmount, parseAmount, type ParsedAmount } from './amount.js'
import { directionOf } from './direction.js'
import { movement } from './movement.js'
import type { BumpInfo, BumpKind, MetricChange, SemverOptions } from './options.js'

/**
 * Relative by default: metrics live on very different scales (an rmse of 2000 on prices, an
 * accuracy of 0.9), and a fixed 0.01 made every tiny rmse gain a minor bump.
 */
const DEFAULT_MINOR_ON = '1%'

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

/** The metrics `minorOn` watches, with how much each improved over `previous` and how much a minor bump needs. */
export function metricChanges(options: SemverOptions, previous: Record<string, number> | undefined, candidate: Record<string, number>): (MetricChange & { needed: ParsedAmount })[] {
  if (!previous) return []
  const minorOn = options.minorOn ?? DEFAULT_MINOR_ON
  const watched: [string, unknown][] = typeof minorOn === 'object'
    ? Object.entries(minorOn)
    : Object.keys(options.gate ?? {}).map((m) => [m, minorOn])
  return watched.flatMap(([metric, amount]) => {
    const before = previous[metric]
    const after = candidate[metric]
    const needed = parseAmount(amount)
    const direction = directionOf(metric, options.gate?.[metric])
    // Options are checked before the run (amount and direction); a metric either side lacks is not compared.
    if (before === undefined || after === undefined || !needed || !direction) return []
    const higher = direction === 'higher'
    return [{ metric, previous: before, candidate: after, direction, improvement: betterBy(before, after, higher, false), relativeImprovement: betterBy(before, after, higher, true), needed }]
  })
}

/** Whether a change meets its minor-bump threshold (with a tolerance for float noise at the boundary). */
function enough(c: MetricChange & { needed: ParsedAmount }): boolean {
  const by = c.needed.relative ? c.relativeImprovement : c.improvement
  return c.improvement > 0 && by >= c.needed.value - 1e-12
}

/** "rmse fell 2003.1 → 1990.2 (−12.9, −0.644 %, better; ≥ 0.5 % needed)". */
function describeChange(c: MetricChange & { needed: ParsedAmount }): string {
  return `${c.metric} ${movement(c.previous, c.candidate, c.direction === 'higher').text.replace(/\)$/, `; ${enough(c) ? '≥' : 'needs ≥'} ${formatAmount(c.needed, num)} for minor)`)}`
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
  const watched = changes.length ? `: ${changes.map(describeChange).join('; ')}` : ''
  let reason = previous ? `no signature change, no metric improved enough vs ${previous.version}${watched}` : 'first version'
  const improved = changes.filter(enough)
  if (changedSignature) {
    suggested = 'major'
    reason = `signature changed: ${changedSignature}`
  } else if (improved.length) {
    suggested = 'minor'
    reason = improved.map(describeChange).join('; ')
  }
  if (!options.bump) return { bump: suggested, reason }
  const info: BumpInfo = { previous, candidate, signatureChanged: Boolean(changedSignature), changes: changes.map(({ needed: _, ...c }) => c), suggested, reason }
  const chosen = await options.bump(info)
  if (chosen === undefined || chosen === suggested) return { bump: suggested, reason }
  if (!['major', 'minor', 'patch'].includes(chosen)) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `The bump option returned ${JSON.stringify(chosen)}; expected "major", "minor", "patch" or undefined.`, {
      hint: 'Fix the bump function in your mlci config.',
    })
  }
  return { bump: chosen, reason: `${chosen} chosen by the bump option (default policy: ${suggested}, ${reason})` }
}
