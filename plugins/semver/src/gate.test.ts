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
      ['loss', false, 'dropped 0.03 (> 0.02)'], // loss went up: lower is better
      ['f1', false, 'gained 0.03 (< 0.05)'],
    ])
    expect(evaluateGate({ error_rate: { maxDrop: 0 } }, { error_rate: 0.01 }, { version: '1', metrics: { error_rate: 0.02 } }).passed).toBe(true)
    expect(evaluateGate({ score: { maxDrop: 0, higherIsBetter: false } }, { score: 3 }, { version: '1', metrics: { score: 2 } }).passed).toBe(false)
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
    expect(veto.reason).toBe('2 of 2 gated metrics failed: accuracy 0.54 < 0.9; dropped 0.42 (> 0.02); loss 1.17818 > 0.5')
    expect(veto.details!.split('\n')).toEqual([
      '| metric | candidate | live (0.1.0) | threshold | verdict |',
      '| --- | --- | --- | --- | --- |',
      '| accuracy | 0.54 | 0.96 | ≥ 0.9, drop ≤ 0.02 vs live (higher is better) | FAIL: 0.54 < 0.9; dropped 0.42 (> 0.02) |',
      '| loss | 1.17818 | 0.146714 | ≤ 0.5 | FAIL: 1.17818 > 0.5 |',
    ])
    expect(vetoOf(evaluateGate({ accuracy: { min: 0.1 } }, { accuracy: 0.5 }))).toBeUndefined()
  })
})
