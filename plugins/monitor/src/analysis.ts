import type { AnalysisMetricSummary, AnalysisOutcome, AnalysisReport, AnalysisSample, AnalysisVerdict } from '@mlci/core'
import type { ConditionFn } from './condition.js'

/**
 * The analysis loop with Argo Rollouts semantics, independent of where values come from:
 * after `initialDelay`, take `count` samples `interval` apart; per metric, a measurement is a
 * success, failure, inconclusive (neither condition held) or error (the source could not be
 * read). A metric fails once failures > failureLimit, is inconclusive once inconclusive >
 * inconclusiveLimit, errors once consecutive errors > consecutiveErrorLimit; any of these ends
 * the analysis early. "No data" (NaN, a missing series, an empty body) never counts as success.
 */

export type Policy = 'fail' | 'inconclusive'

export interface MetricPlan {
  name: string
  success?: ConditionFn
  failure?: ConditionFn
  /** The conditions as written, for messages. */
  successText?: string
  failureText?: string
  failureLimit: number
  inconclusiveLimit: number
  consecutiveErrorLimit: number
  /** What a sample without data counts as. */
  noData: Policy
  /** What a sample where neither condition held counts as. */
  inconclusive: Policy
}

export interface AnalysisPlan {
  name: string
  /** Outcomes other than Successful that ask the release to roll back (default Failed, Inconclusive). */
  rollbackOn: readonly AnalysisOutcome[]
  initialDelayMs: number
  intervalMs: number
  count: number
  metrics: MetricPlan[]
}

/** One metric's reading in one sample: a value, or why there is none. */
export interface Measurement {
  value: number
  /** Set when the value is missing/NaN: why (e.g. "empty /metrics body"). */
  noData?: string
  /** Set when the source could not be read at all (connection refused, HTTP 500, parse error). */
  error?: string
}

export interface AnalysisIo {
  /** Before the first sample (e.g. a baseline scrape for rates). */
  baseline?(): Promise<void>
  measure(index: number): Promise<Record<string, Measurement>>
  sleep(ms: number): Promise<void>
  onSample?(sample: AnalysisSample, count: number): void
  now?(): Date
}

export const OUTCOME: Record<AnalysisVerdict, AnalysisOutcome> = { success: 'Successful', failure: 'Failed', error: 'Error', inconclusive: 'Inconclusive' }

type MetricState = Omit<AnalysisMetricSummary, 'verdict'> & {
  verdict: AnalysisMetricSummary['verdict'] | 'running'
  consecutiveErrors: number
  failingNoData: number
  last?: string
}

export async function runAnalysis(plan: AnalysisPlan, version: string, io: AnalysisIo): Promise<AnalysisReport> {
  const now = io.now ?? (() => new Date())
  const startedAt = now().toISOString()
  const states = plan.metrics.map((m): MetricState => ({
    name: m.name, verdict: 'running', successes: 0, failures: 0, inconclusive: 0, errors: 0, noData: 0, consecutiveErrors: 0, failingNoData: 0,
  }))
  const samples: AnalysisSample[] = []
  if (plan.initialDelayMs > 0) await io.sleep(plan.initialDelayMs)
  if (io.baseline) {
    await io.baseline()
    await io.sleep(plan.intervalMs)
  }
  for (let index = 1; index <= plan.count; index++) {
    if (index > 1) await io.sleep(plan.intervalMs)
    const readings = await io.measure(index)
    const sample: AnalysisSample = { index, time: now().toISOString(), values: {}, verdict: 'success', metrics: {} }
    plan.metrics.forEach((metric, i) => {
      const reading = readings[metric.name] ?? { value: Number.NaN, error: 'not measured' }
      const outcome = classify(metric, reading)
      record(states[i], metric, outcome, reading)
      sample.values[metric.name] = Number.isFinite(reading.value) ? reading.value : null
      sample.metrics![metric.name] = { value: sample.values[metric.name], verdict: outcome.verdict, ...(outcome.noData ? { noData: true } : {}), ...(outcome.message ? { message: outcome.message } : {}) }
    })
    sample.verdict = worst(Object.values(sample.metrics!).map((m) => m.verdict))
    const notes = Object.entries(sample.metrics!).filter(([, m]) => m.message).map(([name, m]) => `${name}: ${m.message}`)
    if (notes.length) sample.message = notes.join('; ')
    samples.push(sample)
    io.onSample?.(sample, plan.count)
    plan.metrics.forEach((metric, i) => assess(states[i], metric))
    if (states.some((s) => s.verdict !== 'running')) break
  }
  for (const [i, state] of states.entries()) {
    if (state.verdict !== 'running') continue
    if (state.successes > 0) state.verdict = 'success'
    else {
      // Every sample was tolerated (errors under the limit, failures within failureLimit) but
      // none succeeded: passing would promote on no evidence at all.
      // Judged by what was seen: a measured failure is evidence against the model; only
      // errors (or only undecided samples) are not.
      state.verdict = state.failures ? 'failure' : state.errors ? 'error' : state.inconclusive ? 'inconclusive' : 'failure'
      state.message = `no sample succeeded in ${samples.length} (${describeCounts(state)})${state.last ? `; last: ${state.last}` : ''}`
      if (state.failingNoData === state.failures && state.failures > 0) state.message += ` — no data (noData: ${plan.metrics[i].noData})`
    }
  }
  // Argo's precedence: Failed > Error > Inconclusive > Successful. A metric that could not be
  // measured never turns into a verdict against the model, but a failing one is not hidden by it.
  const verdict: AnalysisVerdict = states.some((s) => s.verdict === 'failure') ? 'failure'
    : states.some((s) => s.verdict === 'error') ? 'error'
      : states.some((s) => s.verdict === 'inconclusive') ? 'inconclusive' : 'success'
  const metrics = states.map(({ consecutiveErrors: _c, failingNoData: _f, last: _l, ...summary }) => summary as AnalysisMetricSummary)
  const outcome = OUTCOME[verdict]
  const report: AnalysisReport = {
    name: plan.name, version, outcome, verdict, ...(verdict === 'success' ? {} : { rollback: plan.rollbackOn.includes(outcome) }),
    samples, metrics, startedAt, endedAt: now().toISOString(),
  }
  const problems = metrics.filter((m) => m.verdict !== 'success').map((m) => `${m.name}: ${m.message}`)
  if (problems.length) report.message = problems.join('; ')
  return report
}

interface Outcome { verdict: AnalysisSample['verdict']; noData?: boolean; message?: string }

/** Argo's EvaluateResult, plus: no data never succeeds. */
export function classify(metric: MetricPlan, reading: Measurement): Outcome {
  if (reading.error !== undefined) return { verdict: 'error', message: reading.error }
  const value = reading.value
  const noData = reading.noData !== undefined || !Number.isFinite(value)
  // A failure condition may test for no data itself (`isNaN(result) || result > 0.05`): then it
  // is an ordinary failure. A success condition never gets to promote a missing value.
  if (noData) {
    const why = reading.noData ?? (Number.isNaN(value) ? 'the value is NaN' : `the value is ${value}`)
    if (metric.failure?.(value)) return { verdict: 'failure', message: `${why} (failure condition: ${metric.failureText})` }
    return { verdict: metric.noData === 'fail' ? 'failure' : 'inconclusive', noData: true, message: `no data: ${why}` }
  }
  const succeeded = metric.success ? metric.success(value) : !metric.failure!(value)
  const failed = metric.failure ? metric.failure(value) : !succeeded
  if (failed) return { verdict: 'failure' }
  if (succeeded) return { verdict: 'success' }
  const message = `inconclusive: neither "${metric.successText}" nor "${metric.failureText}" held`
  return { verdict: metric.inconclusive === 'fail' ? 'failure' : 'inconclusive', message }
}

function record(state: MetricState, metric: MetricPlan, outcome: Outcome, reading: Measurement): void {
  if (outcome.verdict === 'error') {
    state.errors++
    state.consecutiveErrors++
    state.last = `error: ${reading.error}`
    return
  }
  state.consecutiveErrors = 0
  if (outcome.noData) state.noData++
  if (outcome.verdict === 'success') state.successes++
  if (outcome.verdict === 'failure') {
    state.failures++
    if (outcome.noData) state.failingNoData++
  }
  if (outcome.verdict === 'inconclusive') state.inconclusive++
  state.last = outcome.message ?? `${formatValue(reading.value)}${conditionNote(metric, outcome.verdict)}`
}

function assess(state: MetricState, metric: MetricPlan): void {
  if (state.verdict !== 'running') return
  if (state.consecutiveErrors > metric.consecutiveErrorLimit) {
    state.verdict = 'error'
    state.message = `${state.consecutiveErrors} consecutive measurement errors (consecutiveErrorLimit ${metric.consecutiveErrorLimit}); last ${state.last}`
  } else if (state.failures > metric.failureLimit) {
    state.verdict = 'failure'
    const noData = state.failingNoData === state.failures
    state.message = noData
      ? `no data in ${state.failures} sample(s) (failureLimit ${metric.failureLimit}, noData: 'fail'); last ${state.last}`
      : `failed ${state.failures} sample(s) (failureLimit ${metric.failureLimit}); last ${state.last}`
  } else if (state.inconclusive > metric.inconclusiveLimit) {
    state.verdict = 'inconclusive'
    state.message = `inconclusive in ${state.inconclusive} sample(s) (inconclusiveLimit ${metric.inconclusiveLimit}); last ${state.last}`
  }
}

/** True when the analysis failed only because metrics had no data. */
export function failedForNoData(report: AnalysisReport): boolean {
  const bad = (report.metrics ?? []).filter((m) => m.verdict === 'failure' || m.verdict === 'inconclusive' || m.verdict === 'error')
  return bad.length > 0 && bad.every((m) => m.verdict !== 'error' && m.noData > 0 && m.noData >= m.failures + m.inconclusive)
}

function conditionNote(metric: MetricPlan, verdict: AnalysisSample['verdict']): string {
  if (verdict === 'failure') return metric.failureText ? ` (failure condition: ${metric.failureText})` : ` (success condition not met: ${metric.successText})`
  return ''
}

function describeCounts(s: MetricState): string {
  return [['errors', s.errors], ['failures', s.failures], ['inconclusive', s.inconclusive], ['no data', s.noData]]
    .filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing measured'
}

const ORDER: AnalysisSample['verdict'][] = ['success', 'inconclusive', 'error', 'failure']
function worst(verdicts: AnalysisSample['verdict'][]): AnalysisSample['verdict'] {
  return verdicts.reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'success')
}

export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'no data'
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  return String(Number(value.toPrecision(4)))
}
