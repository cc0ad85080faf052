import type { ModelVersion } from '@mlci/core'
import { describe, expect, it } from 'vitest'
import { decideBump } from './bump-policy.js'

const signature = (...names: string[]) => ({ inputs: names.map((name) => ({ name, type: 'float' })), outputs: { classes: ['a', 'b'] } })
const previous: ModelVersion = {
  version: '0.1.0', status: 'ready', createdAt: '', updatedAt: '', runId: '', fingerprint: '',
  metrics: { accuracy: 0.9, loss: 0.2 }, signature: signature('x', 'y'),
}

describe('bump policy', () => {
  const gate = { accuracy: { min: 0.5 }, loss: { max: 1 } }
  it('signature change → major, gated metric improved by minorOn → minor, else patch', async () => {
    expect(await decideBump({ gate }, previous, { metrics: { accuracy: 0.95, loss: 0.1 }, signature: signature('x'), artifacts: [] }))
      .toEqual({ bump: 'major', reason: 'signature changed: inputs [x, y] → [x]' })
    expect(await decideBump({ gate }, previous, { metrics: { accuracy: 0.9, loss: 0.15 }, signature: { ...signature('x', 'y'), outputs: { classes: ['a'] } }, artifacts: [] }))
      .toMatchObject({ bump: 'major', reason: expect.stringContaining('outputs') })
    expect(await decideBump({ gate }, previous, { metrics: { accuracy: 0.9, loss: 0.15 }, signature: signature('x', 'y'), artifacts: [] }))
      .toEqual({ bump: 'minor', reason: 'loss fell 0.2 → 0.15 (−0.05, −25 %, better; ≥ 1 % for minor)' })
    expect(await decideBump({ gate, minorOn: 0.1 }, previous, { metrics: { accuracy: 0.95, loss: 0.15 }, signature: signature('x', 'y'), artifacts: [] }))
      .toMatchObject({ bump: 'patch' })
    expect(await decideBump({ gate, minorOn: { f1: 0.01 } }, previous, { metrics: { accuracy: 0.99, loss: 0.01 }, artifacts: [] }))
      .toMatchObject({ bump: 'patch' })
  })

  it('minor needs a relative 1 % by default, or the absolute or relative amount given; the reason says rose/fell and better/worse', async () => {
    const rmse = (v: number): ModelVersion => ({ ...previous, metrics: { rmse: v }, signature: undefined })
    const gated = { rmse: { max: 1e6 } }
    // 2003.1 → 2000: better by 3.1 in rmse units (≥ 0.01 absolute) but only 0.155 %: a patch by default.
    expect(await decideBump({ gate: gated }, rmse(2003.1), { metrics: { rmse: 2000 }, artifacts: [] })).toEqual({
      bump: 'patch', reason: 'no signature change, no metric improved enough vs 0.1.0: rmse fell 2003.1 → 2000 (−3.1, −0.155 %, better; needs ≥ 1 % for minor)',
    })
    expect(await decideBump({ gate: gated, minorOn: 0.01 }, rmse(2003.1), { metrics: { rmse: 2000 }, artifacts: [] })).toMatchObject({ bump: 'minor', reason: 'rmse fell 2003.1 → 2000 (−3.1, −0.155 %, better; ≥ 0.01 for minor)' })
    expect(await decideBump({ gate: gated, minorOn: { rmse: '0.1%' } }, rmse(2003.1), { metrics: { rmse: 2000 }, artifacts: [] })).toMatchObject({ bump: 'minor' })
    expect(await decideBump({ gate: gated }, rmse(2003.1), { metrics: { rmse: 1900 }, artifacts: [] })).toMatchObject({ bump: 'minor' })
    // Worse is never a minor bump, however large the change.
    expect(await decideBump({ gate: gated, minorOn: 0 }, rmse(2003.1), { metrics: { rmse: 3999.45 }, artifacts: [] })).toEqual({
      bump: 'patch', reason: 'no signature change, no metric improved enough vs 0.1.0: rmse rose 2003.1 → 3999.45 (+1996.35, +99.7 %, worse; needs ≥ 0 for minor)',
    })
  })

  it('a user function decides with the facts, or keeps the suggestion', async () => {
    const seen: unknown[] = []
    const chosen = await decideBump({ gate, bump: (info) => (seen.push(info), 'major') }, previous, { metrics: { accuracy: 0.905, loss: 0.2 }, artifacts: [] })
    expect(chosen).toEqual({ bump: 'major', reason: expect.stringContaining('major chosen by the bump option (default policy: patch') })
    expect(seen[0]).toMatchObject({ suggested: 'patch', signatureChanged: false, previous: { version: '0.1.0' }, changes: [{ metric: 'accuracy', improvement: expect.closeTo(0.005) }, { metric: 'loss', improvement: 0 }] })
    expect(await decideBump({ gate, bump: () => undefined }, previous, { metrics: { accuracy: 0.99, loss: 0.2 }, artifacts: [] })).toMatchObject({ bump: 'minor' })
    await expect(decideBump({ gate, bump: () => 'huge' as 'major' }, previous, { metrics: {}, artifacts: [] })).rejects.toMatchObject({ code: 'MLCI_PLUGIN_OPTIONS' })
  })
})
