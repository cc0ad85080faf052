import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createEmbeddedRegistry } from '@mlci/core'
import { describe, expect, it } from 'vitest'
import { runCli, type CliResult } from '../../../test/helpers/cli.js'
import { copyFixture } from '../../../test/helpers/testdir.js'

// The real classifier fixture, trained by the real trainer plugin, versioned by this plugin,
// driven through the built CLI.
const CONFIG = `import { defineConfig } from '@mlci/core'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'

export default defineConfig({
  plugins: [
    trainer({
      command: ['python3', 'train.py', '--out', 'out'],
      params: 'params.json',
      paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'],
      outputs: ['out/model.json'],
      metrics: 'out/metrics.json',
      signature: 'out/signature.json',
    }),
    semver({
      gate: { accuracy: { min: 0.9, maxDrop: 0.02 }, loss: { max: 0.5 } },
      minorOn: { loss: 0.02 },
    }),
  ],
})
`
const DEFAULT_PARAMS = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/classifier/params.json'), 'utf8')) as Record<string, unknown>
const NO_NOISE = ['length', 'width', 'mass', 'density']

interface VersionsJson {
  versions: { version: string; status: string; aliases: string[]; reason?: string; metrics: Record<string, number>; git?: { commit: string; dirty: boolean }; artifacts: { path: string; digest: string }[]; extra?: { semver?: { bump: string } } }[]
  aliases: Record<string, string>
}

/** Every file under the registry folder with its content: "unchanged" means byte-for-byte. */
function snapshot(dir: string): Record<string, string> {
  const root = join(dir, '.mlci/registry')
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out[p.slice(root.length)] = readFileSync(p, 'utf8')
    }
  }
  if (existsSync(root)) walk(root)
  return out
}

describe('semver plugin on the classifier fixture', () => {
  it('versions by what changed, reuses identical builds, gates against live, survives kill -9', async () => {
    const dir = copyFixture('classifier', { 'mlci.config.ts': CONFIG })
    const params = (p: Record<string, unknown>) => writeFileSync(join(dir, 'params.json'), JSON.stringify({ ...DEFAULT_PARAMS, ...p }, null, 2))
    const mlci = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env })
    const ok = async (args: string[], env?: Record<string, string>): Promise<CliResult> => {
      const result = await mlci(args, env)
      expect(result.code, result.output).toBe(0)
      return result
    }
    // Read in-process (no CLI start per look); `mlci versions --json` itself is checked at the end.
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    const versions = async (): Promise<VersionsJson> => {
      const [list, aliases] = await Promise.all([registry.list(), registry.aliases()])
      const aliasesOf = (v: string) => Object.keys(aliases).filter((a) => aliases[a].split('+')[0] === v.split('+')[0])
      return { versions: list.map((v) => ({ ...v, aliases: aliasesOf(v.version) })), aliases } as VersionsJson
    }
    const latest = async () => (await versions()).versions.at(-1)!

    // 1. First build → 0.1.0, ready, live, with lineage and its artifacts in the store.
    const first = await ok(['build'])
    expect(first.output).toMatch(/Recorded 0\.1\.0\+data\.[0-9a-f]{7} \(pending\): initial/)
    let state = await versions()
    expect(state.versions).toHaveLength(1)
    const v010 = state.versions[0]
    expect(v010).toMatchObject({ status: 'ready', aliases: ['live'], metrics: { accuracy: expect.closeTo(0.96, 2) } }) // real training: a tolerance, not 6 digits
    expect(v010.version).toMatch(/^0\.1\.0\+data\.[0-9a-f]{7}$/)
    expect(v010.git?.commit).toMatch(/^[0-9a-f]{40}$/)
    const digest = v010.artifacts[0].digest.replace('sha256:', '')
    expect(existsSync(join(dir, '.mlci/objects/sha256', digest.slice(0, 2), digest.slice(2)))).toBe(true)

    // 2. The same build again → no new version.
    const again = await ok(['build'])
    expect(again.output).toContain(`Same inputs as ${v010.version} (ready): no new version recorded.`)
    expect((await versions()).versions).toHaveLength(1)

    // 3. Better params (loss 0.147 → 0.107, ≥ minorOn 0.02) → minor.
    params({ learning_rate: 0.3 })
    expect((await ok(['build'])).output).toMatch(/Recorded 0\.2\.0\+data\.[0-9a-f]{7} \(pending\): minor — loss fell 0\.146714 → 0\.107499 \(−0\.0392\d*, −26\.\d %, better; ≥ [\d.]+ for minor\)/)
    state = await versions()
    expect(state.aliases).toMatchObject({ live: state.versions[1].version, previous: v010.version })

    // 4. A changed feature list → the signature changed → major.
    params({ learning_rate: 0.3, features: NO_NOISE })
    expect((await ok(['build'])).output).toContain('major — signature changed: inputs [length, width, mass, density, noise] → [length, width, mass, density]')
    const v100 = await latest()
    expect(v100).toMatchObject({ status: 'ready', aliases: ['live'] })
    expect(v100.version).toMatch(/^1\.0\.0\+/)

    // 5. A prerelease channel → 1.0.1-rc.1, on the `rc` alias; live stays.
    params({ learning_rate: 0.3, features: NO_NOISE, epochs: 400 })
    await ok(['build', '--channel', 'rc'])
    state = await versions()
    expect(state.versions.at(-1)!.version).toMatch(/^1\.0\.1-rc\.1\+data\.[0-9a-f]{7}$/)
    expect(state.aliases).toMatchObject({ live: v100.version, rc: state.versions.at(-1)!.version })

    // 6. kill -9 after the artifact is stored, before the registry write → absent; next run is clean.
    params({ learning_rate: 0.3, features: NO_NOISE, epochs: 250 })
    let before = snapshot(dir)
    const crashed = await mlci(['build'], { MLCI_TEST_CRASH_AT: 'registry-write' })
    expect(crashed.signal).toBe('SIGKILL')
    expect(snapshot(dir)).toEqual(before)
    expect((await ok(['build'])).output).toMatch(/Recorded 1\.0\.1\+data/)
    expect(await latest()).toMatchObject({ status: 'ready', aliases: ['live'] })

    // … killed inside the version file write (temp file written, not linked) → absent as well.
    params({ learning_rate: 0.3, features: NO_NOISE, seed: 7 })
    const versionCount = (await versions()).versions.length
    expect((await mlci(['build'], { MLCI_TEST_CRASH_AT: 'registry-link' })).signal).toBe('SIGKILL')
    expect((await versions()).versions).toHaveLength(versionCount)
    expect((await ok(['build'])).output).toMatch(/Recorded 1\.0\.2\+data/)

    // … killed after recording, before release → pending; the next run resumes it, no cleanup.
    params({ learning_rate: 0.3, features: NO_NOISE, epochs: 300 })
    expect((await mlci(['build'], { MLCI_TEST_CRASH_AT: 'before-ready' })).signal).toBe('SIGKILL')
    expect(await latest()).toMatchObject({ status: 'pending', aliases: [] })
    const resumed = await ok(['build'])
    expect(resumed.output).toMatch(/Resuming 1\.0\.3\+data\.[0-9a-f]{7}: run .* recorded it and then stopped/)
    expect(await latest()).toMatchObject({ status: 'ready', aliases: ['live'] })
    expect((await versions()).versions.every((v) => v.status === 'ready')).toBe(true)

    // 7. A worse model → exit 3 with the table; the registry is unchanged.
    params({ epochs: 1, learning_rate: 0.001, features: NO_NOISE })
    before = snapshot(dir)
    const vetoed = await mlci(['build'])
    expect(vetoed.code, vetoed.output).toBe(3)
    const live = (await latest()).version
    expect(vetoed.stderr).toContain(`| metric | candidate | live (${live}) | threshold | verdict |`)
    expect(vetoed.stderr).toMatch(/\| accuracy \| 0\.\d+ \| 0\.96\d* \| ≥ 0\.9, worse by ≤ 0\.02 vs live \(higher is better\) \| FAIL: 0\.\d+ < 0\.9; fell 0\.96\d* → 0\.\d+ \(−0\.\d+, −\d+(\.\d+)? %, worse\), more than the 0\.02 worse allowed/)
    expect(vetoed.stderr).toMatch(/\| loss \| 1\.\d+ \| 0\.\d+ \| ≤ 0\.5 \| FAIL: 1\.\d+ > 0\.5 \|/)
    expect(snapshot(dir)).toEqual(before)

    // 8. The CLI views: history, show, diff --md.
    const history = JSON.parse((await ok(['history', '--json'])).stdout) as { alias: string; from?: string; to?: string; reason: string }[]
    const liveMoves = history.filter((m) => m.alias === 'live')
    expect(liveMoves).toHaveLength(6)
    expect(liveMoves[0]).toMatchObject({ to: v010.version, reason: 'released (no deployer)' })
    expect(liveMoves[0].from).toBeUndefined()
    liveMoves.slice(1).forEach((m, i) => expect(m.from).toBe(liveMoves[i].to))
    expect((await ok(['history'])).stdout).toMatch(/live\s+— → 0\.1\.0\+data\.[0-9a-f]{7}\s+mlci build\s+released \(no deployer\)/)

    const shown = (await ok(['show', 'previous'])).stdout
    expect(shown).toMatch(/^version\s+1\.0\.2\+data/m)
    expect(shown).toMatch(/^status\s+ready$/m)
    expect(shown).toMatch(/^bump\s+patch from 1\.0\.1\+data\.[0-9a-f]{7} — /m)
    expect(shown).toMatch(/^ {2}seed\s+7$/m)
    expect(shown).toMatch(/^ {2}train\s+\S+/m) // the phase cache's fingerprint

    const md = (await ok(['diff', v010.version.split('+')[0], 'live', '--md'])).stdout
    const tables = md.split('\n\n').filter((block) => block.startsWith('|'))
    expect(tables).toHaveLength(2)
    for (const table of tables) expectGfmTable(table)
    expect(md).toMatch(/^\| accuracy \| 0\.96 \| 0\.966667 \| \+0\.006667 \|$/m)
    expect(md).toMatch(/^\| loss \| 0\.146714 \| 0\.102963 \| -0\.043751 \|$/m)
    expect(md).toMatch(/^\| learning_rate \| 0\.1 \| 0\.3 \| \+0\.2 \|$/m)
    expect(md).toMatch(/^\| features \| \["length","width","mass","density","noise"\] \| \["length","width","mass","density"\] \| changed \|$/m)

    const usage = await mlci(['diff', 'live'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('Missing a version or alias.')

    const plainVersions = (await ok(['versions'])).stdout
    expect(plainVersions.split('\n')[0]).toMatch(/^version\s+status\s+created\s+accuracy\s+loss\s+aliases\s+note$/)
    expect(plainVersions.split('\n')[1]).toMatch(/^1\.0\.3\+data\.[0-9a-f]{7}\s+ready\s+\S+ \S+\s+0\.966667\s+0\.102963\s+live$/)
    expect(JSON.parse((await ok(['versions', '--json'])).stdout)).toEqual(JSON.parse(JSON.stringify(await versions())))

    // 9. A truncated registry file: refused, named with the parse position, left as it was.
    const file = join(dir, '.mlci/registry/versions', `${live.split('+')[0]}.json`)
    const truncated = readFileSync(file, 'utf8').slice(0, 100)
    writeFileSync(file, truncated)
    params({ learning_rate: 0.3, features: NO_NOISE, epochs: 310 })
    for (const args of [['build'], ['versions'], ['show', 'live']]) {
      const refused = await mlci(args)
      expect(refused.code, refused.output).toBe(1)
      expect(refused.stderr).toMatch(new RegExp(`Registry file ${file.replace(/[.+]/g, '\\$&')} is damaged: .* at \\d+:\\d+\\..*\\[MLCI_STATE_CORRUPT\\]`))
    }
    expect(readFileSync(file, 'utf8')).toBe(truncated)
  }, 180_000)
})

/** The checks GitHub applies: same cell count in header, delimiter and rows; delimiter cells are dashes. */
function expectGfmTable(table: string): void {
  const rows = table.trim().split('\n').map((line) => {
    expect(line).toMatch(/^\|.*\|$/)
    return line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim())
  })
  expect(rows.length).toBeGreaterThan(2)
  for (const cell of rows[1]) expect(cell).toMatch(/^:?-{3,}:?$/)
  for (const row of rows) expect(row).toHaveLength(rows[0].length)
}
