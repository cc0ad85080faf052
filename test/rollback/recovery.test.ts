import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { freePort, killServers, predict, registryState, serverPids, trainedProject } from './project.js'

// Recovery rules for a first release (nothing earlier to return to), each on a fresh project:
// mlci is killed with SIGKILL at a marker file its test plugin writes, then the next run recovers.
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) killServers(dir)
  for (const dir of dirs) expect(serverPids(dir)).toEqual([])
})

/** mlci kills itself (MLCI_TEST_CRASH_AT) at a point of the release; the run must end by SIGKILL. */
async function crashedAt(dir: string, point: string, args: string[], env: Record<string, string>): Promise<void> {
  const run = await runCli(args, { cwd: dir, env: { ...env, MLCI_TEST_CRASH_AT: point }, timeoutMs: 90_000 })
  expect(run.signal, run.output).toBe('SIGKILL')
}

async function killedAt(dir: string, marker: string, args: string[], env: Record<string, string>): Promise<void> {
  let child: ChildProcess | undefined
  const run = runCli(args, { cwd: dir, env, onSpawn: (c) => { child = c }, timeoutMs: 90_000 })
  for (let i = 0; i < 600 && !existsSync(join(dir, marker)); i++) await sleep(50)
  expect(existsSync(join(dir, marker))).toBe(true)
  child!.kill('SIGKILL')
  expect((await run).signal).toBe('SIGKILL')
}

function journal(dir: string): { type: string; step: string; data?: Record<string, unknown> }[] {
  return readFileSync(join(dir, '.mlci', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
}

describe('recovery of an interrupted first release', () => {
  it('killed after deploy with no monitor to run: the release is completed (ready, live, serving)', async () => {
    const port = await freePort()
    const dir = trainedProject(port)
    dirs.push(dir)
    await crashedAt(dir, 'before-ready', ['build', '--skip', 'monitor'], { TEST_VERSION: '1.0.0' })
    expect(registryState(dir).versions['1.0.0'].status).toBe('pending')
    expect(registryState(dir).aliases.live).toBeUndefined()

    const next = await runCli(['build', '--only', 'verify'], { cwd: dir })
    expect(next.code, next.output).toBe(0)
    expect(next.stdout).toContain('Completed the release of 1.0.0')
    expect(serverPids(dir)).toHaveLength(1)
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    const reg = registryState(dir)
    expect(reg.versions['1.0.0'].status).toBe('ready')
    expect(reg.aliases.live).toBe('1.0.0')
    expect(journal(dir).filter((e) => e.type === 'commit' && e.step === 'release').at(-1)!.data).toMatchObject({ outcome: 'completed' })
  })

  it('killed while monitoring: the unconfirmed candidate is failed and `live` never named it', async () => {
    const port = await freePort()
    const dir = trainedProject(port)
    dirs.push(dir)
    await killedAt(dir, 'monitoring.pid', ['build'], { TEST_VERSION: '1.0.0', TEST_MONITOR_SLOW: '1' })
    // Serving, but not proven: live names only ready versions.
    expect(registryState(dir).aliases.live).toBeUndefined()

    const next = await runCli(['build', '--only', 'verify'], { cwd: dir })
    expect(next.code, next.output).toBe(0)
    expect(next.stdout).toContain('No version to roll back to')
    const reg = registryState(dir)
    expect(reg.versions['1.0.0'].status).toBe('failed')
    expect(reg.aliases.live).toBeUndefined()
    expect(reg.ledger.filter((m) => m.alias === 'live')).toEqual([])
    expect(journal(dir).filter((e) => e.type === 'commit' && e.step === 'release').at(-1)!.data).toMatchObject({ outcome: 'abandoned' })

    // The next release takes over: exactly one server, the new one.
    const release = await runCli(['build'], { cwd: dir, env: { TEST_VERSION: '1.1.0' } })
    expect(release.code, release.output).toBe(0)
    expect(serverPids(dir)).toHaveLength(1)
    expect(await predict(port)).toEqual({ status: 200, version: '1.1.0' })
  })
})
