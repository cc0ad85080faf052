import { describe, expect, it } from 'vitest'
import { evaluateGate, vetoOf } from './gate.js'

describe('gate', () => {
  it('applies absolute thresholds only when there is no live version', () => {
    const rules = { accuracy: { min: 0.9, maxDrop: 0.01 }, latency_p95_ms: { max: 50 } }
    const report = evaluateGate(rules, { accuracy: 0.95, latency_p95_ms: 42 })
    expect(report.passed).toBe(true)
    expect(report.verdicts[0]).toMatchObject({ metric: 'accuracy', pass: true, reason: 'no live version: relative check skipped' })
    const bad = evaluateGate(rules, { accuracy: 0.85, latency_p95_ms: 51 })
    expect(bad.verdicts.map((v) => v.reason)).toEqual(['0.85 < 0.9', '51 > 50'])
  })

  it('compares with the live metrics in each metric\'s direction', () => {
    const rules = { accuracy: { maxDrop: 0.01 }, loss: { maxDrop: 0.02 }, f1: { minImprovement: 0.05 } }
    const live = { version: '1.0.0', metrics: { accuracy: 0.96, loss: 0.15, f1: 0.9 } }
    const report = evaluateGate(rules, { accuracy: 0.95, loss: 0.18, f1: 0.93 }, live)
    expect(report.verdicts.map((v) => [v.metric, v.pass, v.reason])).toEqual([
      ['accuracy', true, undefined], // dropped exactly 0.01: allowed
      ['loss', false, 'rose 0.15 → 0.18 (+0.03, +20 %, worse), more than the 0.02 worse allowed'], // lower is better
      ['f1', false, 'rose 0.9 → 0.93 (+0.03, +3.33 %, better), less than the 0.05 better required'],
    ])
    expect(evaluateGate({ error_rate: { maxDrop: 0 } }, { error_rate: 0.01 }, { version: '1', metrics: { error_rate: 0.02 } }).passed).toBe(true)
    expect(evaluateGate({ score: { maxDrop: 0, higherIsBetter: false } }, { score: 3 }, { version: '1', metrics: { score: 2 } }).passed).toBe(false)
  })

  it('an rmse increase rose and is worse; relative thresholds compare with a share of the live value', () => {
    const live = { version: '0.1.0', metrics: { rmse: 2003.1 } }
    const rose = evaluateGate({ rmse: { maxDrop: '5%' } }, { rmse: 3999.45 }, live).verdicts[0]
    expect(rose).toMatchObject({ pass: false, threshold: 'worse by ≤ 5 % vs live (lower is better)', reason: 'rose 2003.1 → 3999.45 (+1996.35, +99.7 %, worse), more than the 5 % worse allowed' })
    expect(rose.reason).not.toMatch(/dropped|fell|better/)
    // 4 % worse passes a 5 % allowance that an absolute 5 would fail on this scale … and vice versa.
    expect(evaluateGate({ rmse: { maxDrop: '5%' } }, { rmse: 2003.1 * 1.04 }, live).passed).toBe(true)
    expect(evaluateGate({ rmse: { maxDrop: 5 } }, { rmse: 2003.1 * 1.04 }, live).passed).toBe(false)
    expect(evaluateGate({ rmse: { minImprovement: '1%' } }, { rmse: 1990 }, live).verdicts[0].reason).toBe('fell 2003.1 → 1990 (−13.1, −0.654 %, better), less than the 1 % better required')
    expect(evaluateGate({ rmse: { minImprovement: '1%' } }, { rmse: 1980 }, live).passed).toBe(true)
    expect(evaluateGate({ rmse: { minImprovement: 1 } }, { rmse: 2010 }, live).verdicts[0].reason).toBe('rose 2003.1 → 2010 (+6.9, +0.344 %, worse), not the 1 better required')
    // A declared direction wins over the name.
    expect(evaluateGate({ score: { maxDrop: 0, direction: 'lower' } }, { score: 3 }, { version: '1', metrics: { score: 2 } }).verdicts[0].reason).toContain('rose 2 → 3 (+1, +50 %, worse)')
    expect(() => evaluateGate({ score: { maxDrop: 0 } }, { score: 3 }, { version: '1', metrics: { score: 2 } })).toThrow(expect.objectContaining({ code: 'MLCI_PLUGIN_OPTIONS', message: expect.stringContaining("add direction: 'lower'") }))
  })

  it('vetoes a metric the candidate lacks, never passes it', () => {
    const report = evaluateGate({ accuracy: { min: 0.5 } }, { loss: 0.1 }, { version: '1.0.0', metrics: { accuracy: 0.9 } })
    expect(report).toMatchObject({ passed: false, liveVersion: '1.0.0' })
    expect(report.verdicts[0]).toMatchObject({ pass: false, reason: 'missing from the candidate', live: 0.9 })
  })

  it('a live version without the metric skips only the relative check', () => {
    const report = evaluateGate({ auc: { min: 0.7, maxDrop: 0 } }, { auc: 0.8 }, { version: '1.0.0', metrics: {} })
    expect(report.verdicts[0]).toMatchObject({ pass: true, reason: 'not recorded for 1.0.0: relative check skipped' })
  })

  it('a veto carries a GitHub markdown table: metric | candidate | live | threshold | verdict', () => {
    const veto = vetoOf(evaluateGate({ accuracy: { min: 0.9, maxDrop: 0.02 }, loss: { max: 0.5 } }, { accuracy: 0.54, loss: 1.178178 }, { version: '0.1.0', metrics: { accuracy: 0.96, loss: 0.146714 } }))!
    expect(veto.reason).toBe('2 of 2 gated metrics failed: accuracy 0.54 < 0.9; fell 0.96 → 0.54 (−0.42, −43.7 %, worse), more than the 0.02 worse allowed; loss 1.17818 > 0.5')
    expect(veto.details!.split('\n')).toEqual([
      '| metric | candidate | live (0.1.0) | threshold | verdict |',
      '| --- | --- | --- | --- | --- |',
      '| accuracy | 0.54 | 0.96 | ≥ 0.9, worse by ≤ 0.02 vs live (higher is better) | FAIL: 0.54 < 0.9; fell 0.96 → 0.54 (−0.42, −43.7 %, worse), more than the 0.02 worse allowed |',
      '| loss | 1.17818 | 0.146714 | ≤ 0.5 | FAIL: 1.17818 > 0.5 |',
    ])
    expect(vetoOf(evaluateGate({ accuracy: { min: 0.1 } }, { accuracy: 0.5 }))).toBeUndefined()
  })
})
