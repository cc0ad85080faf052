// The gate at its edges: a value exactly on a threshold passes, the smallest step past it fails,
// in each direction, for absolute and relative rules; notes say why a relative check was skipped.
import { describe, expect, it } from 'vitest'
import { evaluateGate, gateTable, vetoOf } from './gate.js'

const pass = (rules: Parameters<typeof evaluateGate>[0], metrics: Record<string, number>, live?: Parameters<typeof evaluateGate>[2]) => evaluateGate(rules, metrics, live).verdicts.map((v) => v.pass)

describe('gate boundaries', () => {
  it('min and max include the threshold itself', () => {
    expect(pass({ accuracy: { min: 0.9 } }, { accuracy: 0.9 })).toEqual([true])
    expect(pass({ accuracy: { min: 0.9 } }, { accuracy: 0.8999 })).toEqual([false])
    expect(pass({ loss: { max: 0.5 } }, { loss: 0.5 })).toEqual([true])
    expect(pass({ loss: { max: 0.5 } }, { loss: 0.5001 })).toEqual([false])
  })

  it('maxDrop: a drop of exactly maxDrop passes (despite float error), a bit more fails; both directions', () => {
    const live = { version: '1.0.0', metrics: { accuracy: 0.96, loss: 0.15 } }
    expect(pass({ accuracy: { maxDrop: 0.02 } }, { accuracy: 0.94 }, live)).toEqual([true])
    expect(pass({ accuracy: { maxDrop: 0.02 } }, { accuracy: 0.9399 }, live)).toEqual([false])
    expect(pass({ loss: { maxDrop: 0.02 } }, { loss: 0.17 }, live)).toEqual([true])
    expect(pass({ loss: { maxDrop: 0.02 } }, { loss: 0.1701 }, live)).toEqual([false])
    // Better than live is never a drop.
    expect(pass({ accuracy: { maxDrop: 0 } }, { accuracy: 0.97 }, live)).toEqual([true])
  })

  it('minImprovement: exactly the gain passes, a bit less fails; both directions', () => {
    const live = { version: '1.0.0', metrics: { f1: 0.9, loss: 0.2 } }
    expect(pass({ f1: { minImprovement: 0.01 } }, { f1: 0.91 }, live)).toEqual([true])
    expect(pass({ f1: { minImprovement: 0.01 } }, { f1: 0.9099 }, live)).toEqual([false])
    expect(pass({ loss: { minImprovement: 0.05 } }, { loss: 0.15 }, live)).toEqual([true])
    expect(pass({ loss: { minImprovement: 0.05 } }, { loss: 0.1501 }, live)).toEqual([false])
  })

  it('a missing, NaN or infinite candidate fails; a passing report has no veto', () => {
    expect(pass({ a: { min: 0 } }, {})).toEqual([false])
    expect(pass({ a: { min: 0 } }, { a: Number.NaN })).toEqual([false])
    expect(pass({ a: { max: 1 } }, { a: Number.POSITIVE_INFINITY })).toEqual([false])
    expect(vetoOf(evaluateGate({ a: { min: 0 } }, { a: 1 }))).toBeUndefined()
  })

  it('says why a relative check was skipped; absolute rules still apply', () => {
    const rules = { accuracy: { min: 0.9, maxDrop: 0.01 } }
    expect(evaluateGate(rules, { accuracy: 0.95 }).verdicts[0].reason).toBe('no live version: relative check skipped')
    expect(evaluateGate(rules, { accuracy: 0.5 }, { version: '1.0.0', metrics: { accuracy: 0.99 }, sameInputs: true }).verdicts[0])
      .toMatchObject({ pass: false, reason: '0.5 < 0.9' })
    expect(evaluateGate(rules, { accuracy: 0.95 }, { version: '1.0.0', metrics: { accuracy: 0.99 }, sameInputs: true }).verdicts[0].reason)
      .toBe('same inputs as 1.0.0: relative check skipped')
    expect(evaluateGate(rules, { accuracy: 0.95 }, { version: '1.0.0', metrics: {} }).verdicts[0].reason).toBe('not recorded for 1.0.0: relative check skipped')
  })

  it('thresholds read as written, with the direction only for relative rules', () => {
    const live = { version: '1.0.0', metrics: { f1: 0.9 } }
    const v = evaluateGate({ f1: { min: 0.5, max: 1, maxDrop: 0.1, minImprovement: 0.01 }, loss: { max: 0.3 } }, { f1: 0.95, loss: 0.2 }, live).verdicts
    expect(v[0].threshold).toBe('≥ 0.5, ≤ 1, worse by ≤ 0.1 vs live, better by ≥ 0.01 vs live (higher is better)')
    expect(v[1].threshold).toBe('≤ 0.3')
    expect(evaluateGate({ loss: { maxDrop: 0.1 } }, { loss: 0.2 }).verdicts[0].threshold).toBe('worse by ≤ 0.1 vs live (lower is better)')
  })

  it('the veto counts failures over all gated metrics (singular for one)', () => {
    expect(vetoOf(evaluateGate({ a: { min: 1 } }, { a: 0 }))!.reason).toBe('1 of 1 gated metric failed: a 0 < 1')
    expect(vetoOf(evaluateGate({ a: { min: 1 }, b: { min: 0 } }, { a: 0, b: 1 }))!.reason).toBe('1 of 2 gated metrics failed: a 0 < 1')
  })

  it('the table shows — for values nobody has, and pass notes in brackets', () => {
    const table = gateTable(evaluateGate({ a: { min: 0, maxDrop: 0.1, direction: 'higher' }, b: { min: 1 } }, { a: 1 }))
    expect(table).toContain('| a | 1 | — | ≥ 0, worse by ≤ 0.1 vs live (higher is better) | pass (no live version: relative check skipped) |')
    expect(table).toContain('| b | — | — | ≥ 1 | FAIL: missing from the candidate |')
    expect(table.split('\n')[0]).toBe('| metric | candidate | live | threshold | verdict |')
  })
})
