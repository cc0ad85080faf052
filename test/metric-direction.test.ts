import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { copyFixture } from './helpers/testdir.js'

/**
 * Metric direction, wording and relative thresholds through the real CLI on the regression
 * fixture (numpy ridge; rmse is on the scale of house prices, ~15). Ridge's alpha moves rmse:
 * alpha 0.5 → 15.66, 5 → 15.64 (0.12 % better), 500 → 17.76, 5000 → 23.21, 50000 → 27.41.
 */
const config = (gate: string, extra = '') => `import { defineConfig } from '@mlci/core'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'

export default defineConfig({
  plugins: [
    trainer({
      command: ['python3', 'src/fit.py'],
      params: 'params.json',
      paramsMode: 'file',
      inputs: ['src/**', 'params.json', 'datasets/**'],
      outputs: ['out/model.npz'],
      metrics: 'out/metrics.json',
      signature: 'out/signature.json',
    }),
    semver({ gate: ${gate}${extra} }),
  ],
})
`

function project(gate: string, extra = ''): { dir: string; alpha: (a: number) => void; build: () => ReturnType<typeof runCli> } {
  const dir = copyFixture('regression', { 'mlci.config.ts': config(gate, extra) })
  return {
    dir,
    alpha: (a) => writeFileSync(join(dir, 'params.json'), JSON.stringify({ alpha: a, test_fraction: 0.25, seed: 7 })),
    build: () => runCli(['build'], { cwd: dir }),
  }
}

describe('gated metric direction on a regression project', () => {
  it('a gate on a name that says neither higher nor lower is better is a config error (exit 2) naming it and the fix; nothing trains', async () => {
    const p = project("{ price_fit: { max: 20 } }")
    const r = await p.build()
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('gate.price_fit: mlci cannot tell from the name "price_fit" whether a higher or a lower value is better')
    expect(r.stderr).toContain("add direction: 'lower' (errors, losses, times) or direction: 'higher' (scores) to gate.price_fit")
    expect(readdirSync(p.dir)).not.toContain('out') // refused before the training ran

    // A likely misspelling is named as such.
    const typo = await project("{ rsme: { maxDrop: '5%' } }").build()
    expect(typo.code, typo.output).toBe(2)
    expect(typo.stderr).toContain('did you mean "rmse"? If not, add direction:')

    // Declaring the direction makes the same gate valid.
    const declared = project("{ rmse: { maxDrop: '5%' }, mae: { max: 20, direction: 'lower' } }")
    expect((await declared.build()).code).toBe(0)
  })

  it('a gate metric evaluate did not produce is a config error (exit 2) listing the metrics that exist, not a veto', async () => {
    const p = project("{ mse: { max: 300 } }")
    const r = await p.build()
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('The gate checks "mse", which the training does not record (it records: rmse, mae, r2)')
    expect(r.output).not.toMatch(/vetoed/i)
  })

  it('rmse: a rise is worse (never "dropped"); minor needs 1 % better by default; a relative maxDrop vetoes with exit 3', async () => {
    const p = project("{ rmse: { maxDrop: '50%' } }")
    p.alpha(0.5)
    const first = await p.build()
    expect(first.code, first.output).toBe(0)
    expect(first.output).toMatch(/rmse 15\.6\d+ — worse by ≤ 50 % vs live \(lower is better\): pass \(no live version/)

    // 15.659 → 15.640: 0.019 better (an absolute 0.01 would have made it minor), 0.12 % < 1 %.
    p.alpha(5)
    const slight = await p.build()
    expect(slight.code, slight.output).toBe(0)
    expect(slight.output).toMatch(/Recorded 0\.1\.1\+data\.[0-9a-f]{7} \(pending\): patch — no signature change, no metric improved enough vs 0\.1\.0\+data\.[0-9a-f]{7}: rmse fell 15\.6\d+ → 15\.6\d+ \(−0\.0\d+, −0\.1\d+ %, better; needs ≥ 1 % for minor\)/)

    // 15.64 → 23.21: rose and worse, within the 50 % allowed → a patch, worded as what happened.
    p.alpha(5000)
    const worse = await p.build()
    expect(worse.code, worse.output).toBe(0)
    expect(worse.output).toMatch(/patch — .*rmse rose 15\.6\d+ → 23\.2\d+ \(\+7\.5\d+, \+48\.\d %, worse; needs ≥ 1 % for minor\)/)
    expect(worse.output).not.toMatch(/rmse (dropped|improved|fell)/)

    // 23.21 → 17.76: fell 23 %, better → minor.
    p.alpha(500)
    const better = await p.build()
    expect(better.code, better.output).toBe(0)
    expect(better.output).toMatch(/Recorded 0\.2\.0\+data\.[0-9a-f]{7} \(pending\): minor — rmse fell 23\.2\d+ → 17\.7\d+ \(−5\.4\d+, −23\.5 %, better; ≥ 1 % for minor\)/)

    // 17.76 → 27.41: +54 % > the 50 % allowed → vetoed, exit 3, said as a rise that is worse.
    p.alpha(50000)
    const vetoed = await p.build()
    expect(vetoed.code, vetoed.output).toBe(3)
    expect(vetoed.stderr).toMatch(/1 of 1 gated metric failed: rmse rose 17\.7\d+ → 27\.4\d+ \(\+9\.6\d+, \+54\.\d %, worse\), more than the 50 % worse allowed/)
    expect(vetoed.stderr).toMatch(/\| rmse \| 27\.4\d+ \| 17\.7\d+ \| worse by ≤ 50 % vs live \(lower is better\) \| FAIL: rmse rose|FAIL: rose 17\.7/)
  })

  it('an absolute minorOn keeps the old behaviour when asked for: 0.019 better ≥ 0.01 → minor', async () => {
    const p = project("{ rmse: { max: 100 } }", ', minorOn: 0.01')
    p.alpha(0.5)
    expect((await p.build()).code).toBe(0)
    p.alpha(5)
    const r = await p.build()
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/Recorded 0\.2\.0\+data\.[0-9a-f]{7} \(pending\): minor — rmse fell 15\.6\d+ → 15\.6\d+ \(−0\.0\d+, −0\.1\d+ %, better; ≥ 0\.01 for minor\)/)
  })
})
