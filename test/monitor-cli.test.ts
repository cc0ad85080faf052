import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEmbeddedRegistry, type RunRecord } from '@mlci/core'
import { runCli } from './helpers/cli.js'
import { startServer, type TestServer } from './helpers/metric-server.js'
import { releasedInTurn } from './helpers/released.js'
import { testdir } from './helpers/testdir.js'

// `mlci monitor` as a user runs it: the built CLI, the real monitor and rollback plugins, the
// embedded registry, and a real HTTP server whose error rate the test switches on and off.

const servers: TestServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

/** A /metrics endpoint whose error ratio follows `state.errorRatio` at each scrape. */
async function modelServer(state: { errorRatio: number }): Promise<TestServer> {
  let requests = 0
  let errors = 0
  const server = await startServer({
    '/metrics': () => {
      requests += 100
      errors += Math.round(100 * state.errorRatio)
      return { body: `model_requests_total{endpoint="/predict"} ${requests}\nmodel_errors_total ${errors}\n` }
    },
  })
  servers.push(server)
  return server
}

/** A project where 1.0.0 was live before 2.0.0, which is live now. */
async function project(url: string, extra = ''): Promise<string> {
  const dir = testdir({
    'mlci.config.mjs': `
      import monitor from '@mlci/plugin-monitor'
      import rollback from '@mlci/plugin-rollback'
      export default { plugins: [
        monitor({ url: ${JSON.stringify(url)}, interval: '50ms', count: 2, metrics: [
          { name: 'error_ratio', prometheus: 'increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})', successCondition: 'result < 0.05' },
        ] ${extra} }),
        rollback(),
      ] }`,
  })
  await releasedInTurn(dir, ['1.0.0', '2.0.0'])
  return dir
}

/** The run record the last command wrote under .mlci/runs. */
function lastRunRecord(dir: string): RunRecord {
  const runs = join(dir, '.mlci', 'runs')
  const files = readdirSync(runs).filter((f) => f.endsWith('.json')).sort()
  return JSON.parse(readFileSync(join(runs, files.at(-1)!), 'utf8')) as RunRecord
}

describe('mlci monitor', () => {
  it('analyses the live version once and records the result with it', async () => {
    const server = await modelServer({ errorRatio: 0 })
    const dir = await project(server.url)
    const r = await runCli(['monitor'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toContain('sample 2/2 error_ratio=0 ✔')
    expect(r.stdout).toContain('✔ 2.0.0: analysis success (2 samples)')
    const entry = await createEmbeddedRegistry(join(dir, '.mlci')).get('2.0.0')
    expect(entry?.analysis?.map((a) => a.verdict)).toEqual(['success'])
  })

  it('a failed analysis rolls the live version back, marks it failed, and exits 1', async () => {
    const server = await modelServer({ errorRatio: 0.4 })
    const dir = await project(server.url)
    const r = await runCli(['monitor'], { cwd: dir })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toMatch(/Analysis "analysis" of 2\.0\.0 failed: error_ratio: failed 1 sample\(s\) \(failureLimit 0\); last 0\.4.*\[MLCI_ANALYSIS_FAILED\]/)
    expect(r.stdout).toContain('rolled back to 1.0.0')
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    expect((await registry.aliases()).live).toBe('1.0.0')
    expect((await registry.get('2.0.0'))?.status).toBe('failed')
    // Failed first (live stops naming it at once), then the rollback puts 1.0.0 live; previous ≠ live.
    const live = (await registry.ledger()).filter((m) => m.alias === 'live').slice(-2)
    expect(live.map((m) => [m.from, m.to, m.by])).toEqual([['2.0.0', undefined, 'mlci monitor'], [undefined, '1.0.0', 'mlci monitor']])
    expect((await registry.aliases()).previous).toBeUndefined()
  })

  it('a JSON metric whose endpoint answers HTTP 404 is a measurement error: exit 1, but the live version is neither rolled back nor marked failed', async () => {
    // Found by a new user: a JSON metric pointing at an endpoint the server did not serve yet
    // marked a healthy version failed and rolled it back.
    const server = await modelServer({ errorRatio: 0 })
    const dir = await project(server.url)
    writeFileSync(join(dir, 'mlci.config.mjs'), `
      import monitor from '@mlci/plugin-monitor'
      import rollback from '@mlci/plugin-rollback'
      export default { plugins: [
        monitor({ url: ${JSON.stringify(server.url)}, interval: '50ms', count: 3, metrics: [
          { name: 'queue', json: { url: '/stats', path: 'queue.depth' }, successCondition: 'result < 100' },
        ] }),
        rollback(),
      ] }`)
    const r = await runCli(['monitor'], { cwd: dir })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toMatch(/Analysis "analysis" of 2\.0\.0 could not measure, so it is not promoted; the version is not marked failed and not rolled back: queue: no sample succeeded in 3 \(3 errors\); last: error: GET http:\/\/127\.0\.0\.1:\d+\/stats: HTTP 404.*\[MLCI_ANALYSIS_ERROR\]/)
    expect(r.output).toContain('Not rolling back 2.0.0: the analysis ended Error')
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    expect((await registry.aliases()).live).toBe('2.0.0')
    const entry = await registry.get('2.0.0')
    expect(entry?.status).toBe('ready')
    expect(entry?.analysis?.at(-1)).toMatchObject({ outcome: 'Error', verdict: 'error', rollback: false })
    expect((await registry.ledger()).filter((m) => m.by.startsWith('mlci monitor'))).toEqual([])
  })

  it('with rollbackOn: ["Failed", "Error"] a measurement error rolls back, still without marking the version failed', async () => {
    const server = await modelServer({ errorRatio: 0 })
    const dir = await project(server.url)
    writeFileSync(join(dir, 'mlci.config.mjs'), `
      import monitor from '@mlci/plugin-monitor'
      import rollback from '@mlci/plugin-rollback'
      export default { plugins: [
        monitor({ url: ${JSON.stringify(server.url)}, interval: '50ms', count: 2, rollbackOn: ['Failed', 'Error'], metrics: [
          { name: 'queue', json: { url: '/stats', path: 'queue.depth' }, successCondition: 'result < 100' },
        ] }),
        rollback(),
      ] }`)
    const r = await runCli(['monitor'], { cwd: dir })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toMatch(/could not measure, so it is not promoted; the version is rolled back \(rollbackOn includes "Error"\).*\[MLCI_ANALYSIS_ERROR\]/)
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    expect((await registry.aliases()).live).toBe('1.0.0')
    expect((await registry.get('2.0.0'))?.status).toBe('ready')
  })

  it('--every keeps analysing, rolls back on its own when the error rate rises, and stops on Ctrl-C', async () => {
    const state = { errorRatio: 0 }
    const server = await modelServer(state)
    const dir = await project(server.url)
    let output = ''
    const waitFor = async (text: string) => {
      for (let i = 0; i < 400 && !output.includes(text); i++) await new Promise((r) => setTimeout(r, 25))
      expect(output, `waiting for ${text}`).toContain(text)
    }
    let child: import('node:child_process').ChildProcess | undefined
    const running = runCli(['monitor', '--every', '200ms'], {
      cwd: dir,
      onSpawn: (c) => {
        child = c
        c.stdout!.on('data', (d: Buffer) => (output += d))
        c.stderr!.on('data', (d: Buffer) => (output += d))
      },
    })
    await waitFor('✔ 2.0.0: analysis success')
    state.errorRatio = 0.5
    await waitFor('rolled back to 1.0.0')
    state.errorRatio = 0
    await waitFor('✔ 1.0.0: analysis success')
    child!.kill('SIGINT')
    const r = await running
    expect(r.code, r.output).toBe(130)
    expect(r.stdout).toMatch(/monitor stopped after \d+ analysis run\(s\), 1 failed/)
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    expect((await registry.aliases()).live).toBe('1.0.0')
    expect((await registry.get('2.0.0'))?.status).toBe('failed')
    expect((await registry.get('1.0.0'))?.analysis?.at(-1)?.verdict).toBe('success')
    expect((await registry.ledger()).filter((m) => m.alias === 'live' && m.to && m.by.startsWith('mlci monitor'))).toHaveLength(1)
  })

  it('without a `url` it stops with a configuration error naming the key; nothing is rolled back or marked failed', async () => {
    // Found last session: the monitor could not even start (no URL), the run failed anyway, and
    // the rollback plugin then "rolled back" to 2.0.0 — the version that was already live.
    const dir = await project('http://unused.invalid')
    rmSync(join(dir, 'mlci.config.mjs'))
    writeFileSync(join(dir, 'mlci.config.ts'), `
      import monitor from '@mlci/plugin-monitor'
      import rollback from '@mlci/plugin-rollback'
      export default { plugins: [
        monitor({ interval: '50ms', count: 2, metrics: [{ name: 'error_ratio', prometheus: 'model_errors_total', successCondition: 'result < 1' }] }),
        rollback(),
      ] }`)
    const r = await runCli(['monitor'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toMatch(/`url` of @mlci\/plugin-monitor is not set in .*mlci\.config\.ts.*\[MLCI_PLUGIN_OPTIONS\]/)
    expect(r.stderr).toContain("monitor({ url: 'http://127.0.0.1:8731'")
    expect(r.output).not.toContain('Rolling back')
    expect(r.stdout).not.toMatch(/rolled back|rollback failed/)
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    expect(await registry.aliases()).toEqual({ live: '2.0.0', previous: '1.0.0' })
    expect((await registry.get('2.0.0'))?.status).toBe('ready')
    expect((await registry.ledger()).filter((m) => m.by.startsWith('mlci monitor'))).toEqual([])
    const record = lastRunRecord(dir)
    expect(record.status).toBe('failed')
    expect(record.error).toMatchObject({ code: 'MLCI_PLUGIN_OPTIONS', phase: 'monitor' })
    expect(record.data.rollback).toBeUndefined()
    expect(record.phases.map((p) => `${p.name}:${p.status}`)).toEqual(['monitor:failed'])
  })

  it('a third-party monitor that fails the live version rolls back from it, never "back" to it', async () => {
    const dir = await project('http://unused.invalid')
    writeFileSync(join(dir, 'mlci.config.mjs'), `
      import rollback from '@mlci/plugin-rollback'
      const latency = { name: 'latency-check', apply(mlci) {
        mlci.hooks.monitor.tapPromise('latency-check', async () => { throw new Error('p95 latency 900 ms is over 200 ms') })
      } }
      export default { plugins: [latency, rollback()] }`)
    const r = await runCli(['monitor'], { cwd: dir })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('p95 latency 900 ms is over 200 ms')
    expect(r.output).not.toContain('Rolling back to 2.0.0')
    expect(r.output).toContain('Rolling back to 1.0.0 (from 2.0.0)')
    const registry = createEmbeddedRegistry(join(dir, '.mlci'))
    expect((await registry.aliases()).live).toBe('1.0.0')
    expect((await registry.get('2.0.0'))?.status).toBe('failed')
    expect(lastRunRecord(dir).data.rollback).toMatchObject({ from: '2.0.0', to: '1.0.0', ok: true })
  })

  it('refuses an interval without a unit and a project without a monitor', async () => {
    const server = await modelServer({ errorRatio: 0 })
    const dir = await project(server.url)
    const bad = await runCli(['monitor', '--every', '30'], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--every "30" is not an interval')
    const empty = testdir({ 'mlci.config.mjs': 'export default { plugins: [] }' })
    const none = await runCli(['monitor'], { cwd: empty })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('No plugin taps the monitor hook')
  })

  it('a bad condition in the config exits 2 before anything runs', async () => {
    const server = await modelServer({ errorRatio: 0 })
    const dir = await project(server.url, ", failureLimit: 1, metricsPath: '/metrics', noData: 'maybe'")
    const r = await runCli(['monitor'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toMatch(/noData must be one of "fail", "inconclusive"/)
    expect(server.hits['/metrics']).toBeUndefined()
  })
})
