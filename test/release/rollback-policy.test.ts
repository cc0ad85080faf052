import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { freePort, killServers, predict, registryState, serverPids, trainedProject } from '../rollback/project.js'

// The rollback policy against real local servers (the test-release plugin of ../rollback
// records a version per build; core, the local deployer and the rollback plugin are the real ones).
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    killServers(dir)
    expect(serverPids(dir)).toEqual([])
  }
})

async function project(): Promise<{ dir: string; port: number; mlci: (args: string[], env?: Record<string, string>) => ReturnType<typeof runCli> }> {
  const port = await freePort()
  const dir = trainedProject(port)
  dirs.push(dir)
  return { dir, port, mlci: (args, env = {}) => runCli(args, { cwd: dir, env, timeoutMs: 90_000 }) }
}

describe('rollback never picks the version that just failed', { timeout: 300_000 }, () => {
  it('the rollback target cannot start: the failed candidate is not restarted, live never names it', async () => {
    const { dir, port, mlci } = await project()
    expect((await mlci(['build'], { TEST_VERSION: '1.0.0' })).code).toBe(0)
    // 2.0.0 starts healthy; its monitor fails, and meanwhile serve.py is broken on disk, so
    // 1.0.0 (restarted from today's serve.py by the local deployer) cannot start.
    const r = await mlci(['build'], { TEST_VERSION: '2.0.0', TEST_MONITOR_FAIL: '1', TEST_MONITOR_BREAK_SERVER: '1' })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('Rollback also failed')
    const reg = registryState(dir)
    expect(reg.versions['2.0.0'].status).toBe('failed')
    expect(reg.aliases.live).not.toBe('2.0.0')
    // The failed candidate is not serving again.
    expect((await predict(port)).version).not.toBe('2.0.0')
    expect(serverPids(dir)).toEqual([])
  })
})

describe('signature changes', { timeout: 300_000 }, () => {
  it('automatic rollback skips a version with another signature; by hand it needs --allow-signature-change', async () => {
    const { dir, port, mlci } = await project()
    expect((await mlci(['build'], { TEST_VERSION: '1.0.0', TEST_SIGNATURE: 'old_feature' })).code).toBe(0)
    // A release with a new signature that fails goes back to what clients still talk to.
    const major = await mlci(['build'], { TEST_VERSION: '1.5.0', TEST_SIGNATURE: 'new_feature', TEST_MONITOR_FAIL: '1' })
    expect(major.code, major.output).toBe(1)
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    expect((await mlci(['build'], { TEST_VERSION: '2.0.0', TEST_SIGNATURE: 'new_feature' })).code).toBe(0)
    const r = await mlci(['build'], { TEST_VERSION: '2.1.0', TEST_SIGNATURE: 'new_feature', TEST_MONITOR_FAIL: '1' })
    expect(r.code, r.output).toBe(1)
    // 2.0.0 (same signature) is the target; the failed candidate is not.
    expect(await predict(port)).toEqual({ status: 200, version: '2.0.0' })
    expect(registryState(dir).aliases).toEqual({ live: '2.0.0', previous: '1.0.0' })

    // Now 2.0.0 fails its analysis: 1.0.0 has another signature, so there is nothing to go back to.
    const monitor = await mlci(['monitor'], { TEST_MONITOR_FAIL: '1' })
    expect(monitor.code, monitor.output).toBe(1)
    expect(monitor.output).toMatch(/Not rolling back to 1\.0\.0: its signature \(inputs old_feature:float; outputs "label"\) differs from 2\.0\.0's/)
    let reg = registryState(dir)
    expect(reg.versions['1.0.0'].status).toBe('ready')
    expect(reg.versions['2.0.0'].status).toBe('failed')

    const refused = await mlci(['rollback', '--to', '1.0.0'])
    expect(refused.code, refused.output).toBe(2)
    expect(refused.stderr).toContain('Cannot roll back to 1.0.0: its signature')
    expect(refused.stderr).toContain('--allow-signature-change')
    const allowed = await mlci(['rollback', '--to', '1.0.0', '--allow-signature-change'])
    expect(allowed.code, allowed.output).toBe(0)
    expect(await predict(port)).toEqual({ status: 200, version: '1.0.0' })
    reg = registryState(dir)
    expect(reg.aliases.live).toBe('1.0.0')
    expect(reg.aliases.previous).not.toBe('1.0.0')
  })
})

describe('mlci monitor --every circuit breaker', { timeout: 300_000 }, () => {
  it('after the live server dies, at most one automatic rollback per window; then it says so and stops acting', async () => {
    const { dir, mlci } = await project()
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) expect((await mlci(['build'], { TEST_VERSION: v })).code).toBe(0)
    killServers(dir)
    let output = ''
    let child: import('node:child_process').ChildProcess | undefined
    const running = runCli(['monitor', '--every', '100ms'], {
      cwd: dir, env: { TEST_MONITOR_FAIL: '1' }, timeoutMs: 90_000,
      onSpawn: (c) => {
        child = c
        c.stdout!.on('data', (d: Buffer) => (output += d))
        c.stderr!.on('data', (d: Buffer) => (output += d))
      },
    })
    // Wait for the breaker to open and for two more analyses after it.
    for (let i = 0; i < 1200 && (output.match(/✖ /g) ?? []).length < 4; i++) await new Promise((r) => setTimeout(r, 25))
    child!.kill('SIGINT')
    const r = await running
    expect(r.code, r.output).toBe(130)
    expect(r.stderr).toMatch(/circuit breaker open: 1 automatic rollback\(s\) in the last 60m0s \(limit 1\)/)
    const reg = registryState(dir)
    expect(Object.fromEntries(Object.entries(reg.versions).map(([v, x]) => [v, x.status]))).toEqual({ '1.0.0': 'ready', '2.0.0': 'ready', '3.0.0': 'failed' })
    expect(reg.aliases.live).toBe('2.0.0')
  })

  it('--max-rollbacks must be a count', async () => {
    const { mlci } = await project()
    const r = await mlci(['monitor', '--every', '1s', '--max-rollbacks', 'many'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--max-rollbacks "many" is not a count')
  })
})

