import { execFileSync, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { freePort } from './helpers/net.mjs'
import { storeEnv } from './helpers/shared-services.js'
import { CLI, copyFixture } from './helpers/testdir.js'

// PostgreSQL stopped in the middle of a release, then started again: a private server (own data
// dir and port) so stopping it disturbs no other test. Needs root (the server runs as `postgres`).
const PG_BIN = '/usr/lib/postgresql/15/bin'
const asPostgres = (args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'pipe' })

const servers: string[] = []
afterAll(() => {
  for (const data of servers) {
    try {
      asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'immediate', 'stop'])
    } catch {
      // already stopped
    }
    rmSync(join(data, '..'), { recursive: true, force: true })
  }
})

async function privateServer(): Promise<{ url: string; stop: () => void; start: () => void }> {
  if (!existsSync(`${PG_BIN}/postgres`)) throw new Error(`PostgreSQL 15 is not installed (${PG_BIN}): run \`bash .ci/services-postgres.sh\`.`)
  const root = mkdtempSync(join(tmpdir(), 'mlci-pg-'))
  chownSync(root, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()))
  const data = join(root, 'data')
  asPostgres([`${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth=trust'])
  servers.push(data)
  const port = await freePort()
  const start = () => asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-w', '-l', join(root, 'log'), '-o', `-h 127.0.0.1 -p ${port} -k ${root}`, 'start'])
  const stop = () => asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-w', '-m', 'fast', 'stop'])
  start()
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop, start }
}

// Pauses the version phase (before the version is recorded) until the test says go.
const PAUSE = `import { definePlugin, Stage } from '@mlci/core'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
export default definePlugin(() => ({ name: 'pause-before-version', apply(mlci) {
  mlci.hooks.version.tapPromise({ name: 'pause-before-version', stage: Stage.EARLY }, async (proposal, ctx) => {
    if (!process.env.PAUSE_AT_VERSION) return proposal
    writeFileSync(join(ctx.cwd, 'at-version'), '')
    while (!existsSync(join(ctx.cwd, 'go'))) await new Promise((r) => setTimeout(r, 20))
    return proposal
  })
} }))
`
const CONFIG = `import { defineConfig } from '@mlci/core'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
import pause from './pause.mjs'
export default defineConfig({
  registry: { model: 'classifier' },
  plugins: [
    trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
    pause(),
    semver({ gate: { accuracy: { min: 0.5 } } }),
  ],
})
`

describe('PostgreSQL stopped mid-run (private server)', () => {
  it('fails with an error naming the server, leaves no torn state, and the next run after a restart succeeds', async () => {
    const pg = await privateServer()
    const env = { MLCI_REGISTRY_URL: pg.url, ...storeEnv() }
    const a = copyFixture('classifier', { 'mlci.config.ts': CONFIG, 'pause.mjs': PAUSE })
    const child = spawn(process.execPath, [CLI, 'build'], { cwd: a, env: { ...process.env, ...env, PAUSE_AT_VERSION: '1', CI: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d })
    child.stderr.on('data', (d: Buffer) => { out += d })
    const code = new Promise<number | null>((resolve) => child.on('close', resolve))
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (existsSync(join(a, 'at-version'))) { clearInterval(poll); resolve() }
        if (child.exitCode !== null) { clearInterval(poll); reject(new Error(`build ended early: ${out}`)) }
      }, 20)
    })
    pg.stop() // the gate ran (release lock held, live read); the version is not recorded yet
    writeFileSync(join(a, 'go'), '')
    expect(await code, out).toBe(1)
    const port = new URL(pg.url).port
    expect(out).toContain(`The shared registry at postgres://postgres@127.0.0.1:${port}/postgres is unavailable`)
    expect(out).toContain('[MLCI_STATE_UNAVAILABLE]')

    pg.start()
    const again = await runCli(['build'], { cwd: a, env })
    expect(again.code, again.output).toBe(0)
    expect(again.output).toContain('live → 0.1.0')
    const versions = JSON.parse((await runCli(['versions', '--json'], { cwd: a, env })).stdout) as { versions: { version: string; status: string }[]; aliases: Record<string, string> }
    // One version, ready and live: nothing half-written by the interrupted run.
    expect(versions.versions.map((v) => [v.version.split('+')[0], v.status])).toEqual([['0.1.0', 'ready']])
    expect(versions.aliases.live).toBe(versions.versions[0].version)
    const history = JSON.parse((await runCli(['history', '--json'], { cwd: a, env })).stdout) as unknown
    const ledger = (Array.isArray(history) ? history : (history as { ledger: unknown[] }).ledger) as { alias: string }[]
    expect(ledger.filter((m) => m.alias === 'live')).toHaveLength(1)
  }, 180_000)
})
