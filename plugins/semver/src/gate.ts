import { ErrorCode, MlciError, markdownTable, num, type GateReport, type GateVerdict, type Veto } from '@mlci/core'
import { betterBy, formatAmount, parseAmount } from './amount.js'
import { directionHint, directionOf } from './direction.js'
import { movement } from './movement.js'
import type { MetricRule } from './options.js'

export interface LiveMetrics {
  version: string
  metrics: Record<string, number>
  /** The candidate was built from exactly the live version's inputs: comparing it with itself says nothing. */
  sameInputs?: boolean
}

/**
 * Judge the candidate's metrics: absolute bounds always; relative bounds against the metrics
 * recorded for the live version (never re-evaluated). A metric the candidate lacks fails.
 */
export function evaluateGate(rules: Record<string, MetricRule>, metrics: Record<string, number>, live?: LiveMetrics): GateReport {
  const verdicts = Object.entries(rules).map(([metric, rule]) => judge(metric, rule, metrics[metric], live))
  return { passed: verdicts.every((v) => v.pass), liveVersion: live?.version, verdicts }
}

function judge(metric: string, rule: MetricRule, candidate: number | undefined, live?: LiveMetrics): GateVerdict {
  const liveValue = live?.metrics[metric]
  const thresholds: string[] = []
  const failures: string[] = []
  const notes: string[] = []
  const maxWorse = parseAmount(rule.maxDrop)
  const minBetter = parseAmount(rule.minImprovement)
  const relative = maxWorse !== undefined || minBetter !== undefined
  const direction = directionOf(metric, rule)
  if (relative && !direction) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `${directionHint(`gate.${metric}`, metric)}.`, { hint: 'Fix the gate option of @mlci/plugin-semver in your mlci config.' })
  }
  const higher = direction === 'higher'
  if (rule.min !== undefined) thresholds.push(`≥ ${num(rule.min)}`)
  if (rule.max !== undefined) thresholds.push(`≤ ${num(rule.max)}`)
  if (maxWorse) thresholds.push(`worse by ≤ ${formatAmount(maxWorse, num)} vs live`)
  if (minBetter) thresholds.push(`better by ≥ ${formatAmount(minBetter, num)} vs live`)
  const threshold = `${thresholds.join(', ')}${relative ? ` (${direction} is better)` : ''}`
  if (candidate === undefined || !Number.isFinite(candidate)) {
    return { metric, live: liveValue, threshold, pass: false, reason: 'missing from the candidate' }
  }
  if (rule.min !== undefined && candidate < rule.min) failures.push(`${num(candidate)} < ${num(rule.min)}`)
  if (rule.max !== undefined && candidate > rule.max) failures.push(`${num(candidate)} > ${num(rule.max)}`)
  if (relative) {
    if (!live) notes.push('no live version: relative check skipped')
    else if (live.sameInputs) notes.push(`same inputs as ${live.version}: relative check skipped`)
    else if (liveValue === undefined) notes.push(`not recorded for ${live.version}: relative check skipped`)
    else {
      const moved = movement(liveValue, candidate, higher)
      // Compared with a small tolerance, so a difference of exactly the threshold passes despite float noise.
      if (maxWorse && -betterBy(liveValue, candidate, higher, maxWorse.relative) > maxWorse.value + 1e-12) {
        failures.push(`${moved.text}, more than the ${formatAmount(maxWorse, num)} worse allowed`)
      }
      if (minBetter && betterBy(liveValue, candidate, higher, minBetter.relative) < minBetter.value - 1e-12) {
        failures.push(`${moved.text}, ${moved.better ? 'less than' : 'not'} the ${formatAmount(minBetter, num)} better required`)
      }
    }
  }
  const reason = failures.length ? failures.join('; ') : notes.join('; ') || undefined
  return { metric, candidate, live: liveValue, threshold, pass: failures.length === 0, reason }
}

/** The veto for a failed report: a one-line reason and a markdown table (metric | candidate | live | threshold | verdict). */
export function vetoOf(report: GateReport): Veto | undefined {
  if (report.passed) return undefined
  const failed = report.verdicts.filter((v) => !v.pass)
  const reason = `${failed.length} of ${report.verdicts.length} gated metric${report.verdicts.length === 1 ? '' : 's'} failed: ${failed.map((v) => `${v.metric} ${v.reason}`).join('; ')}`
  return { reason, details: gateTable(report) }
}

export function gateTable(report: GateReport): string {
  const liveHeader = report.liveVersion ? `live (${report.liveVersion})` : 'live'
  return markdownTable(
    ['metric', 'candidate', liveHeader, 'threshold', 'verdict'],
    report.verdicts.map((v) => [
      v.metric,
      v.candidate === undefined ? '—' : num(v.candidate),
      v.live === undefined ? '—' : num(v.live),
      v.threshold,
      v.pass ? `pass${v.reason ? ` (${v.reason})` : ''}` : `FAIL: ${v.reason}`,
    ]),
  )
}
