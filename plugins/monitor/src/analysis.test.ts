// The analysis loop's counting rules with readings fed in memory (the real loop, no timers):
// limits count what they say — consecutive errors reset on a good reading, failures and
// inconclusive samples accumulate — and no data never promotes.
import { describe, expect, it } from 'vitest'
import { classify, failedForNoData, formatValue, runAnalysis, type Measurement, type MetricPlan } from './analysis.js'
import { compileCondition } from './condition.js'

type Reading = number | 'error' | 'nodata'

function metric(over: Partial<MetricPlan> = {}): MetricPlan {
  return {
    name: 'm', success: compileCondition('result < 0.1'), successText: 'result < 0.1',
    failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, noData: 'fail', inconclusive: 'fail', ...over,
  }
}

/** Run the loop over `readings` (one per sample) and return the report plus the sleeps asked for. */
async function analyse(readings: Reading[], m: MetricPlan = metric(), extra: { initialDelayMs?: number; baseline?: boolean } = {}) {
  const sleeps: number[] = []
  const seen: number[] = []
  let baselined = false
  const measure = async (index: number): Promise<Record<string, Measurement>> => {
    seen.push(index)
    const r = readings[index - 1]
    if (r === 'error') return { [m.name]: { value: Number.NaN, error: 'connection refused' } }
    if (r === 'nodata') return { [m.name]: { value: Number.NaN, noData: 'empty body' } }
    return { [m.name]: { value: r } }
  }
  const report = await runAnalysis({ name: 'a', rollbackOn: ['Failed', 'Inconclusive'], initialDelayMs: extra.initialDelayMs ?? 0, intervalMs: 10, count: readings.length, metrics: [m] }, '1.0.0', {
    measure, sleep: async (ms) => { sleeps.push(ms) },
    ...(extra.baseline ? { baseline: async () => { baselined = true } } : {}),
    now: () => new Date('2026-12-03T12:00:00Z'),
  })
  return { report, sleeps, seen, baselined, summary: report.metrics![0] }
}

describe('consecutive errors', () => {
  it('flapping (error, ok, error, ok, …) never trips consecutiveErrorLimit 1', async () => {
    const { report, summary, seen } = await analyse(['error', 0.01, 'error', 0.01, 'error', 0.01], metric({ consecutiveErrorLimit: 1 }))
    expect(seen).toEqual([1, 2, 3, 4, 5, 6])
    expect(report.verdict).toBe('success')
    expect(summary).toMatchObject({ verdict: 'success', successes: 3, errors: 3 })
  })

  it('N+1 errors in a row trip a limit of N, ending the analysis there', async () => {
    const { report, summary, seen } = await analyse([0.01, 'error', 'error', 0.01, 0.01], metric({ consecutiveErrorLimit: 1 }))
    expect(seen).toEqual([1, 2, 3])
    // A measurement error is no verdict on the model: the analysis ends Error, not Failed.
    expect(report).toMatchObject({ verdict: 'error', outcome: 'Error' })
    expect(summary.verdict).toBe('error')
    expect(summary.message).toBe('2 consecutive measurement errors (consecutiveErrorLimit 1); last error: connection refused')
    expect(report.message).toBe(`m: ${summary.message}`)
  })

  it('exactly N errors in a row are tolerated', async () => {
    const { summary } = await analyse(['error', 'error', 0.01], metric({ consecutiveErrorLimit: 2 }))
    expect(summary).toMatchObject({ verdict: 'success', errors: 2, successes: 1 })
  })

  it('errors alone never pass, even under the limit', async () => {
    const { report, summary } = await analyse(['error', 'error'], metric({ consecutiveErrorLimit: 4 }))
    expect(report).toMatchObject({ verdict: 'error', outcome: 'Error' })
    expect(summary.verdict).toBe('error')
    expect(summary.message).toBe('no sample succeeded in 2 (2 errors); last: error: connection refused')
  })
})

describe('failures and inconclusive samples accumulate', () => {
  it('failureLimit counts failures in total, not in a row', async () => {
    const { summary, seen } = await analyse([0.5, 0.01, 0.5, 0.01], metric({ failureLimit: 1 }))
    expect(seen).toEqual([1, 2, 3])
    expect(summary).toMatchObject({ verdict: 'failure', failures: 2, successes: 1 })
    expect(summary.message).toBe('failed 2 sample(s) (failureLimit 1); last 0.5 (success condition not met: result < 0.1)')
  })

  it('failures up to the limit pass when samples succeed', async () => {
    const { report, summary } = await analyse([0.5, 0.01, 0.01], metric({ failureLimit: 1 }))
    expect(report.verdict).toBe('success')
    expect(summary).toMatchObject({ verdict: 'success', failures: 1, successes: 2 })
    expect(report.message).toBeUndefined()
  })

  it('a failure condition names itself when it holds', async () => {
    const m = metric({ success: undefined, successText: undefined, failure: compileCondition('result > 0.2'), failureText: 'result > 0.2' })
    const { summary } = await analyse([0.3], m)
    expect(summary.message).toBe('failed 1 sample(s) (failureLimit 0); last 0.3 (failure condition: result > 0.2)')
  })

  it('inconclusive (neither condition held) is its own verdict once over inconclusiveLimit', async () => {
    const m = metric({ failure: compileCondition('result > 0.5'), failureText: 'result > 0.5', inconclusive: 'inconclusive', inconclusiveLimit: 1 })
    const { report, summary, seen } = await analyse([0.3, 0.01, 0.3, 0.01], m)
    expect(seen).toEqual([1, 2, 3])
    expect(report.verdict).toBe('inconclusive')
    expect(summary).toMatchObject({ verdict: 'inconclusive', inconclusive: 2, successes: 1, failures: 0 })
    expect(summary.message).toBe('inconclusive in 2 sample(s) (inconclusiveLimit 1); last inconclusive: neither "result < 0.1" nor "result > 0.5" held')
  })

  it('inconclusive counted as failure by default', async () => {
    const m = metric({ failure: compileCondition('result > 0.5'), failureText: 'result > 0.5' })
    const { summary } = await analyse([0.3], m)
    expect(summary).toMatchObject({ verdict: 'failure', failures: 1, inconclusive: 0 })
  })
})

describe('no data', () => {
  it('fails by default and says it was no data', async () => {
    const { report, summary } = await analyse(['nodata'])
    expect(summary).toMatchObject({ verdict: 'failure', noData: 1, failures: 1 })
    expect(summary.message).toBe("no data in 1 sample(s) (failureLimit 0, noData: 'fail'); last no data: empty body")
    expect(failedForNoData(report)).toBe(true)
  })

  it('with noData: inconclusive, no sample succeeding never passes: Inconclusive, marked as no data', async () => {
    const { report, summary } = await analyse(['nodata', 'nodata'], metric({ noData: 'inconclusive', inconclusiveLimit: 5 }))
    expect(report).toMatchObject({ verdict: 'inconclusive', outcome: 'Inconclusive' })
    expect(summary).toMatchObject({ verdict: 'inconclusive', inconclusive: 2, noData: 2 })
    expect(summary.message).toBe('no sample succeeded in 2 (2 inconclusive, 2 no data); last: no data: empty body')
    expect(failedForNoData(report)).toBe(true)
  })

  it('a real failure is not "failed for no data"', async () => {
    const { report } = await analyse([0.5])
    expect(failedForNoData(report)).toBe(false)
  })

  it('a failure condition may test for no data itself', () => {
    const m = metric({ failure: compileCondition('isNaN(result) || result > 0.05'), failureText: 'isNaN(result) || result > 0.05' })
    expect(classify(m, { value: Number.NaN, noData: 'empty' })).toEqual({ verdict: 'failure', message: 'empty (failure condition: isNaN(result) || result > 0.05)' })
    expect(classify(metric(), { value: Number.NaN })).toEqual({ verdict: 'failure', noData: true, message: 'no data: the value is NaN' })
    expect(classify(metric(), { value: Number.POSITIVE_INFINITY })).toEqual({ verdict: 'failure', noData: true, message: 'no data: the value is Infinity' })
    expect(classify(metric({ noData: 'inconclusive' }), { value: Number.NaN })).toMatchObject({ verdict: 'inconclusive', noData: true })
  })
})

describe('the loop', () => {
  it('waits initialDelay, takes a baseline then an interval, and an interval between samples', async () => {
    const { sleeps, baselined, report } = await analyse([0.01, 0.01, 0.01], metric(), { initialDelayMs: 50, baseline: true })
    expect(baselined).toBe(true)
    expect(sleeps).toEqual([50, 10, 10, 10])
    expect(report.samples.map((s) => s.index)).toEqual([1, 2, 3])
    expect(report).toMatchObject({ name: 'a', version: '1.0.0', startedAt: '2026-12-03T12:00:00.000Z', endedAt: '2026-12-03T12:00:00.000Z' })
  })

  it('no initial delay, no baseline: sleeps only between samples', async () => {
    const { sleeps } = await analyse([0.01, 0.01])
    expect(sleeps).toEqual([10])
  })

  it('each sample carries values, per-metric verdicts and the worst verdict', async () => {
    const { report } = await analyse(['error', 0.01, 'nodata'], metric({ consecutiveErrorLimit: 3, failureLimit: 3 }))
    expect(report.samples.map((s) => s.verdict)).toEqual(['error', 'success', 'failure'])
    expect(report.samples[0]).toMatchObject({ values: { m: null }, message: 'm: connection refused', metrics: { m: { value: null, verdict: 'error', message: 'connection refused' } } })
    expect(report.samples[1]).toMatchObject({ values: { m: 0.01 }, metrics: { m: { value: 0.01, verdict: 'success' } } })
    expect(report.samples[1].message).toBeUndefined()
    expect(report.samples[2].metrics!.m).toEqual({ value: null, verdict: 'failure', noData: true, message: 'no data: empty body' })
  })

  it('the worst metric decides a sample: failure over error over inconclusive over success', async () => {
    const a = metric({ name: 'a' })
    const b = metric({ name: 'b', failureLimit: 9, consecutiveErrorLimit: 9 })
    const report = await runAnalysis({ name: 'x', rollbackOn: ['Failed', 'Inconclusive'], initialDelayMs: 0, intervalMs: 0, count: 3, metrics: [a, b] }, '1', {
      measure: async (i) => ({ a: { value: 0.01 }, b: i === 1 ? { value: Number.NaN, error: 'boom' } : { value: i === 2 ? 0.9 : 0.01 } }),
      sleep: async () => undefined,
    })
    expect(report.samples.map((s) => s.verdict)).toEqual(['error', 'failure', 'success'])
    expect(report.verdict).toBe('success')
    expect(report.metrics!.map((m) => m.verdict)).toEqual(['success', 'success'])
  })

  it('a metric nobody measured is an error', async () => {
    const report = await runAnalysis({ name: 'x', rollbackOn: ['Failed', 'Inconclusive'], initialDelayMs: 0, intervalMs: 0, count: 1, metrics: [metric({ consecutiveErrorLimit: 0 })] }, '1', {
      measure: async () => ({}), sleep: async () => undefined,
    })
    expect(report.metrics![0]).toMatchObject({ verdict: 'error', errors: 1, message: '1 consecutive measurement errors (consecutiveErrorLimit 0); last error: not measured' })
  })
})

describe('formatValue', () => {
  it('prints no data, infinities, integers and 4 significant digits', () => {
    expect([null, undefined, Number.NaN].map(formatValue)).toEqual(['no data', 'no data', 'no data'])
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe('Infinity')
    expect(formatValue(42)).toBe('42')
    expect(formatValue(0.123456)).toBe('0.1235')
  })
})
