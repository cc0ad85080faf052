import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, type CliResult } from '../helpers/cli.js'
import { freePort, killServers, predict, registryState, serverPids, trainedProject } from './project.js'

// One project walks through a release history with the real local deployer: real Python model
// servers on 127.0.0.1, real signals, the real registry and journal. Steps depend on the ones
// before them (the registry state they leave), so they run in order.
let dir: string
let port: number
const mlci = (args: string[], env: Record<string, string> = {}, onSpawn?: (c: ChildProcess) => void): Promise<CliResult> =>
  runCli(args, { cwd: dir, env, onSpawn, timeoutMs: 90_000 })

beforeAll(async () => {
  port = await freePort()
  dir = trainedProject(port)
})
afterAll(() => {
  if (dir) killServers(dir)
  expect(dir ? serverPids(dir) : []).toEqual([])
})

function lastRecord(): Record<string, any> {
  const runs = join(dir, '.mlci', 'runs')
  const file = readdirSync(runs).filter((f) => f.endsWith('.json')).sort().pop()!
  return JSON.parse(readFileSync(join(runs, file), 'utf8'))
}

function pendingReleases(): string[] {
  const lines = readFileSync(join(dir, '.mlci', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  const closed = new Set(lines.filter((l) => l.type === 'commit' || l.type === 'abort').map((l) => l.ref))
  return lines.filter((l) => l.type === 'intent' && l.step === 'release' && !closed.has(l.id)).map((l) => l.data.candidate)
}

function blobOf(version: string): string {
  const hex = registryState(dir).versions[version].digest!.slice('sha256:'.length)
  return join(dir, '.mlci', 'objects', 'sha256', hex.slice(0, 2), hex.slice(2))
}

/** Exactly one server of this project runs, and it answers /predict as `version`. */
async function expectServing(version: string): Promise<void> {
  expect(serverPids(dir)).toHaveLength(1)
  expect(await predict(port)).toEqual({ status: 200, version })
}

describe('local deployer + rollback policy (real processes)', () => {
  it('v1: deployed, healthy, live; the server answers and outlives mlci', async () => {
    const r = await mlci(['build'], { TEST_VERSION: '1.0.0' })
    expect(r.code, r.output).toBe(0)
    await expectServing('1.0.0')
    const reg = registryState(dir)
    expect(reg.aliases.live).toBe('1.0.0')
    expect(reg.versions['1.0.0'].status).toBe('ready')
    const state = JSON.parse(readFileSync(join(dir, '.mlci/deploy/local/state.json'), 'utf8'))
    expect(state.current).toMatchObject({ version: '1.0.0', port, pgid: state.current.pid })
    expect(readFileSync(join(dir, '.mlci/deploy/local/server.pid'), 'utf8').trim()).toBe(String(state.current.pid))
    expect(lastRecord().data.deployment).toMatchObject({ version: '1.0.0', target: 'local', url: `http://127.0.0.1:${port}` })
    expect(pendingReleases()).toEqual([])
  })

  it('deploying the version that is already live and healthy is a no-op that says so', async () => {
    const before = serverPids(dir)
    const r = await mlci(['rollback', '--to', '1.0.0'])
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toContain('1.0.0 is already live and healthy')
    expect(serverPids(dir)).toEqual(before)
  })

  it('v2 never becomes healthy: automatic rollback, v1 answers again, v2 failed, exit 1', async () => {
    const r = await mlci(['build'], { TEST_VERSION: '2.0.0', TEST_SERVER_FAULT: '1' })
    expect(r.code, r.output).toBe(1)
    // The deploy failure stays the headline; the rollback is reported, not substituted.
    expect(r.stderr).toMatch(/Deploying 2\.0\.0 failed: .*\/health did not become healthy.*HTTP 503/)
    expect(r.stderr).toContain('[MLCI_UNHEALTHY]')
    await expectServing('1.0.0')
    const reg = registryState(dir)
    expect(reg.versions['2.0.0']).toMatchObject({ status: 'failed', reason: expect.stringContaining('2.0.0 failed in deploy') })
    expect(reg.aliases.live).toBe('1.0.0')
    // live never pointed at the unhealthy version.
    expect(reg.ledger.filter((m) => m.to === '2.0.0')).toEqual([])
    const record = lastRecord()
    expect(record.status).toBe('failed')
    expect(record.error.code).toBe('MLCI_UNHEALTHY')
    expect(record.phases.find((p: { name: string }) => p.name === 'rollback')).toMatchObject({ status: 'ok' })
    expect(record.data.rollback).toMatchObject({ from: '2.0.0', to: '1.0.0', ok: true })
    expect(readFileSync(join(dir, '.mlci/deploy/local/2.0.0/server.log'), 'utf8')).toContain('503')
    expect(pendingReleases()).toEqual([])
  })

  it('v4 healthy but failing its monitor: live never names v4 (not ready), v3 serves again; previous ≠ live', async () => {
    const v3 = await mlci(['build'], { TEST_VERSION: '3.0.0' })
    expect(v3.code, v3.output).toBe(0)
    const r = await mlci(['build'], { TEST_VERSION: '4.0.0', TEST_MONITOR_FAIL: '1' })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('error rate 0.5 is above the 0.1 limit')
    await expectServing('3.0.0')
    const reg = registryState(dir)
    expect(reg.versions['4.0.0'].status).toBe('failed')
    expect(reg.ledger.filter((m) => m.to === '4.0.0' && m.alias === 'live')).toEqual([])
    expect(reg.versions['4.0.0'].reason).toMatch(/^4\.0\.0 failed in monitor: error rate/)
    expect(reg.aliases).toEqual({ live: '3.0.0', previous: '1.0.0' })
  })

  it('mlci rollback by hand: to the older ready version, then --to back; a failed version is refused', async () => {
    const back = await mlci(['rollback'])
    expect(back.code, back.output).toBe(0)
    expect(back.stdout).toContain('live is 1.0.0 (was 3.0.0)')
    await expectServing('1.0.0')
    const forward = await mlci(['rollback', '--to', '3.0.0'])
    expect(forward.code, forward.output).toBe(0)
    await expectServing('3.0.0')
    const refused = await mlci(['rollback', '--to', '2.0.0'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('Cannot roll back to 2.0.0: it is failed')
    await expectServing('3.0.0')
    const reg = registryState(dir)
    expect(reg.ledger.filter((m) => m.alias === 'live').slice(-2).map((m) => [m.from, m.to, m.by])).toEqual([
      ['3.0.0', '1.0.0', 'mlci rollback'], ['1.0.0', '3.0.0', 'mlci rollback --to 3.0.0'],
    ])
  })

  it('kill -9 of mlci while it monitors v5: the next run recovers to exactly one live, healthy server', async () => {
    const marker = join(dir, 'monitoring.pid')
    let child: ChildProcess | undefined
    const run = mlci(['build'], { TEST_VERSION: '5.0.0', TEST_MONITOR_SLOW: '1' }, (c) => { child = c })
    for (let i = 0; i < 600 && !existsSync(marker); i++) await sleep(50)
    expect(existsSync(marker)).toBe(true)
    await expectServing('5.0.0') // deployed, being monitored, not live (not proven yet)…
    child!.kill('SIGKILL')
    const killed = await run
    expect(killed.signal).toBe('SIGKILL')
    rmSync(marker)
    expect(registryState(dir).aliases.live).toBe('3.0.0')
    expect(pendingReleases()).toEqual(['5.0.0'])

    const next = await mlci(['build', '--only', 'verify'])
    expect(next.code, next.output).toBe(0)
    expect(next.stdout).toContain('Found an unfinished release: release of 5.0.0 was interrupted during monitor')
    await expectServing('3.0.0')
    const reg = registryState(dir)
    expect(reg.aliases.live).toBe('3.0.0')
    expect(reg.versions['5.0.0']).toMatchObject({ status: 'failed', reason: expect.stringContaining('interrupted during monitor') })
    expect(pendingReleases()).toEqual([])
  })

  it('kill -9 of mlci mid-deploy (new server started, not yet healthy): `mlci rollback` restores the old one', async () => {
    let child: ChildProcess | undefined
    const run = mlci(['build'], { TEST_VERSION: '6.0.0', TEST_SERVER_FAULT: '1' }, (c) => { child = c })
    const state = join(dir, '.mlci/deploy/local/state.json')
    for (let i = 0; i < 600 && !readFileSync(state, 'utf8').includes('"6.0.0"'); i++) await sleep(25)
    child!.kill('SIGKILL')
    await run
    expect(serverPids(dir)).toHaveLength(1) // the unhealthy 6.0.0, nothing else
    const next = await mlci(['rollback'])
    expect(next.code, next.output).toBe(0)
    expect(next.stdout).toContain('interrupted during deploy')
    await expectServing('3.0.0')
    const reg = registryState(dir)
    expect(reg.aliases.live).toBe('3.0.0')
    expect(reg.versions['6.0.0'].status).toBe('failed')
    expect(pendingReleases()).toEqual([])
  })

  it('a target whose artifact is gone from the store is skipped for an older ready version; with none left, it fails loudly and changes nothing', async () => {
    rmSync(blobOf('3.0.0'))
    const r = await mlci(['build'], { TEST_VERSION: '7.0.0', TEST_SERVER_FAULT: '1' })
    expect(r.code, r.output).toBe(1)
    expect(r.stdout).toMatch(/Skipping 3\.0\.0: its artifact out\/model\.json \(sha256:[0-9a-f]+…\) is missing from the store/)
    await expectServing('1.0.0')
    expect(registryState(dir).aliases.live).toBe('1.0.0')

    rmSync(blobOf('1.0.0'))
    const aliasMoves = () => registryState(dir).ledger.filter((m) => (m as { kind?: string }).kind !== 'status')
    const ledgerBefore = aliasMoves().length
    const none = await mlci(['build'], { TEST_VERSION: '8.0.0', TEST_SERVER_FAULT: '1' })
    expect(none.code, none.output).toBe(1)
    expect(none.stderr).toMatch(/Deploying 8\.0\.0 failed/) // still the headline
    expect(none.stderr).toContain('Rollback also failed: No version to roll back to')
    const record = lastRecord()
    expect(record.error.code).toBe('MLCI_UNHEALTHY')
    expect(record.rollbackError.code).toBe('MLCI_ROLLBACK_FAILED')
    // What ran before is left serving; the aliases did not move.
    await expectServing('1.0.0')
    const reg = registryState(dir)
    expect(aliasMoves().length).toBe(ledgerBefore)
    expect(reg.aliases.live).toBe('1.0.0')
    expect(reg.versions['8.0.0'].status).toBe('failed')
  })
})
