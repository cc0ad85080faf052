import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, type CliResult } from '../helpers/cli.js'
import { freePort } from '../helpers/net.mjs'
import { freshDatabase, storeEnv } from '../helpers/shared-services.js'
import { copyFixture } from '../helpers/testdir.js'
import { killServers, serverPids } from '../rollback/project.js'

// Two checkouts of the classifier fixture (separate folders, separate .mlci/) stand in for two
// CI runners sharing the real PostgreSQL registry and Swift store. Runner A dies by SIGKILL at a
// named crash point in the middle of a deploy; runner B's next build finishes A's release.

const config = (model: string, port: number) => `import { defineConfig } from '@mlci/core'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
import local from '@mlci/plugin-local'
import rollback from '@mlci/plugin-rollback'
export default defineConfig({
  registry: { model: '${model}' },
  plugins: [
    trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
    semver({ gate: { accuracy: { min: 0.5 } } }),
    local({ port: ${port}, health: { intervalMs: 50, timeoutMs: 20000, successes: 2 }, stopTimeoutMs: 2000 }),
    rollback(),
  ],
})
`

const dirs: string[] = []
afterAll(() => {
  // Runner A's server outlives its SIGKILL: every server either checkout started is stopped.
  for (const dir of dirs) killServers(dir)
  for (const dir of dirs) expect(serverPids(dir)).toEqual([])
})

function expectOk(r: CliResult): CliResult {
  expect(r.code, r.output).toBe(0)
  return r
}

interface VersionsJson { versions: { version: string; status: string; reason?: string }[]; aliases: Record<string, string> }

describe('release recovery across runners (PostgreSQL + Swift S3, built CLI)', { timeout: 300_000 }, () => {
  it('runner A killed with -9 mid-deploy: a build in checkout B rolls that release back, then releases; the ledger is consistent and verify exits 0', async () => {
    const model = `xr-${Math.random().toString(16).slice(2, 10)}`
    const env = { MLCI_REGISTRY_URL: await freshDatabase(), ...storeEnv() }
    const a = copyFixture('classifier', { 'mlci.config.ts': config(model, await freePort()) })
    const b = copyFixture('classifier', { 'mlci.config.ts': config(model, await freePort()) })
    dirs.push(a, b)

    expectOk(await runCli(['build'], { cwd: a, env }))
    // A new model on A; its deploy dies right after the new server started, before it is proven.
    const params = JSON.parse(readFileSync(join(a, 'params.json'), 'utf8'))
    writeFileSync(join(a, 'params.json'), JSON.stringify({ ...params, epochs: 150 }))
    const killed = await runCli(['build'], { cwd: a, env: { ...env, MLCI_TEST_CRASH_AT: 'local-started' }, timeoutMs: 120_000 })
    expect(killed.signal, killed.output).toBe('SIGKILL')

    let candidate = ''
    const db = new pg.Client({ connectionString: env.MLCI_REGISTRY_URL })
    await db.connect()
    const openReleases = async () => (await db.query(`
      SELECT i.entry->'data'->>'candidate' AS candidate FROM mlci_release_journal i
      WHERE i.model = $1 AND i.entry->>'type' = 'intent' AND i.entry->>'step' = 'release'
        AND NOT EXISTS (SELECT 1 FROM mlci_release_journal c WHERE c.model = $1 AND c.entry->>'ref' = i.entry->>'id')`, [model])).rows.map((r) => r.candidate)
    try {
      // The release A left open is in the shared journal, where any runner finds it.
      const open = await openReleases()
      expect(open).toHaveLength(1)
      candidate = open[0].split('+')[0]
      expect(candidate).toBe('0.2.0') // new params: a minor bump

      const recovered = expectOk(await runCli(['build'], { cwd: b, env }))
      expect(recovered.output).toContain(`Found an unfinished release: release of ${candidate}`)
      expect(recovered.output).toContain('was interrupted during deploy')
      // live never left 0.1.0 (an unproven candidate never goes live); B brings 0.1.0 up on its target.
      expect(recovered.output).toMatch(/Rolling back to 0\.1\.0\S* \(from 0\.2\.0/)
      expect(await openReleases()).toEqual([])
      const outcome = (await db.query(`SELECT entry->'data' AS data FROM mlci_release_journal WHERE model = $1 AND entry->>'type' = 'commit' AND entry->>'step' = 'release' ORDER BY seq`, [model])).rows.map((r) => r.data)
      expect(outcome).toContainEqual(expect.objectContaining({ outcome: 'rolled-back', version: expect.stringMatching(/^0\.1\.0/) }))
    } finally {
      await db.end()
    }

    const versions = JSON.parse(expectOk(await runCli(['versions', '--json'], { cwd: b, env })).stdout) as VersionsJson
    // Then B released its own build: a patch, since B's deployer options (its port) differ from A's.
    const status = Object.fromEntries(versions.versions.map((v) => [v.version.split('+')[0], v.status]))
    expect(status).toEqual({ '0.1.0': 'ready', [candidate]: 'failed', '0.1.1': 'ready' })
    expect(versions.versions.find((v) => v.version.startsWith(candidate))!.reason).toContain('interrupted during deploy')
    expect(versions.aliases.live?.split('+')[0]).toBe('0.1.1')
    // One unbroken chain of live moves: each starts where the one before ended.
    const ledger = JSON.parse(expectOk(await runCli(['history', '--json'], { cwd: b, env })).stdout) as { alias: string; from?: string; to?: string }[]
    const live = ledger.filter((m) => m.alias === 'live')
    live.forEach((m, i) => expect(m.from).toBe(i ? live[i - 1].to : undefined))
    expect(live.map((m) => m.to?.split('+')[0])).toEqual(['0.1.0', '0.1.1'])
    expectOk(await runCli(['registry', 'verify'], { cwd: b, env }))
    expect(serverPids(b)).toHaveLength(1)
  })
})
