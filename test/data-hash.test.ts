import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { copyFixture } from './helpers/testdir.js'

// `+data.<hash>` names the training data's content only: a params or code change makes a new
// version with the same +data, shown instead in the lineage and `mlci diff`; a data change
// changes it. Through the CLI on the regression fixture (inputs as `mlci init` writes them).

const CONFIG = (trainerExtra = '') => `import { defineConfig } from '@mlci/core'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
export default defineConfig({ plugins: [
  trainer({ command: ['python3', 'src/fit.py'], params: 'params.json', paramsMode: 'file', inputs: ['**/*.py', '!tests/**', 'params.json', 'datasets/**'],
            outputs: ['out/model.npz'], metrics: 'out/metrics.json', signature: 'out/signature.json'${trainerExtra} }),
  semver({ gate: { rmse: { maxDrop: '50%' } } }),
] })
`

const recorded = (output: string) => /Recorded (\S+) \(pending\)/.exec(output)?.[1]
const dataOf = (version: string | undefined) => version?.split('+')[1]

describe('+data.<hash> is the hash of the training data', () => {
  it('a params change and a code change keep +data; mlci diff shows the params and an unchanged data row; a data change changes +data', async () => {
    const dir = copyFixture('regression', { 'mlci.config.ts': CONFIG() })
    const build = async () => {
      const r = await runCli(['build'], { cwd: dir })
      expect(r.code, r.output).toBe(0)
      return recorded(r.output)
    }
    const first = await build()
    expect(first).toMatch(/^0\.1\.0\+data\.[0-9a-f]{7}$/)

    writeFileSync(join(dir, 'params.json'), JSON.stringify({ alpha: 5, test_fraction: 0.25, seed: 7 }))
    const paramsChanged = await build()
    expect(paramsChanged).toMatch(/^0\.1\.1\+/)
    expect(dataOf(paramsChanged)).toBe(dataOf(first))

    const diff = await runCli(['diff', '0.1.0', '0.1.1'], { cwd: dir })
    expect(diff.code, diff.output).toBe(0)
    expect(diff.stdout).toMatch(/^alpha\s+0\.5\s+5\s/m)
    const dataRow = diff.stdout.split('\n').find((l) => l.startsWith('data '))
    expect(dataRow).toMatch(/^data\s+sha256:[0-9a-f]{12}\s+sha256:[0-9a-f]{12}\s*$/) // no delta, not "changed"
    const [, a, b] = dataRow!.split(/\s+/)
    expect(a).toBe(b)
    expect(a.slice(7, 14)).toBe(dataOf(first)!.slice(5)) // the row names the same digest as +data

    // Code: a comment in the training script retrains (an input), same data.
    appendFileSync(join(dir, 'src/ridge.py'), '\n# tuned nothing\n')
    const codeChanged = await build()
    expect(codeChanged).toMatch(/^0\.1\.2\+/)
    expect(dataOf(codeChanged)).toBe(dataOf(first))

    // Data: one price changed → another +data.
    const csv = join(dir, 'datasets/houses.csv')
    const lines = readFileSync(csv, 'utf8').split('\n')
    lines[1] = lines[1].replace(/,([\d.]+)$/, (_m, price: string) => `,${(Number(price) + 1).toFixed(3)}`)
    writeFileSync(csv, lines.join('\n'))
    const dataChanged = await build()
    expect(dataChanged).toMatch(/^0\.1\.3\+data\.[0-9a-f]{7}$|^0\.2\.0\+data\.[0-9a-f]{7}$/)
    expect(dataOf(dataChanged)).not.toBe(dataOf(first))
  })

  it('an explicit data option names only those files; no data declared means no +data at all', async () => {
    const explicit = copyFixture('regression', { 'mlci.config.ts': CONFIG(", data: ['datasets/houses.csv']") })
    const withData = await runCli(['build'], { cwd: explicit })
    expect(withData.code, withData.output).toBe(0)
    // Same data as the inferred case above (datasets/** holds only houses.csv): the same digest.
    const inferred = copyFixture('regression', { 'mlci.config.ts': CONFIG() })
    const inferredRun = await runCli(['build'], { cwd: inferred })
    expect(dataOf(recorded(withData.output))).toBe(dataOf(recorded(inferredRun.output)))

    const none = copyFixture('regression', { 'mlci.config.ts': CONFIG().replace("'params.json', 'datasets/**'", "'params.json'") })
    const r = await runCli(['build'], { cwd: none })
    expect(r.code, r.output).toBe(0)
    expect(recorded(r.output)).toBe('0.1.0')
  })
})
