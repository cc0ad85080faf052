import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { freePort } from '../helpers/net.mjs'
import { copyFixture } from '../helpers/testdir.js'
import { killServers, predict, registryState, serverPids } from '../rollback/project.js'

// An analysis that cannot measure (Error) is no verdict, and with the default rollbackOn
// (["Failed"]) nothing rolls the candidate back: it keeps serving while `live` names the last
// proven version. The state must say so (the release stays open, noted unproven; `mlci versions`
// and `mlci registry verify` name what serves) and the next build resolves it.

const config = (port: number) => `
import local from '@mlci/plugin-local'
import monitor from '@mlci/plugin-monitor'
import rollback from '@mlci/plugin-rollback'
import semver from '@mlci/plugin-semver'
import trainer from '@mlci/plugin-trainer'
import { ErrorCode, MlciError } from '@mlci/core'
// MISCONFIGURED: a third party's monitor whose own options are wrong (a configuration error, exit 2).
const misconfigured = { name: 'latency-slo', apply(mlci) {
  mlci.hooks.monitor.tapPromise('latency-slo', async () => {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, 'latency-slo: option \`slo\` is not set in mlci.config.ts')
  })
} }
// UNMEASURABLE: the metric's endpoint does not exist on the server (HTTP 404: a measurement error).
const metric = process.env.UNMEASURABLE
  ? { name: 'queue', json: { url: '/stats', path: 'queue.depth' }, successCondition: 'result < 100' }
  : { name: 'error_rate', probe: { csv: 'probe.csv', value: 'error_rate', batchSize: 5 }, successCondition: 'result < 0.1' }
export default {
  plugins: [
    trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
    semver(),
    local({ port: ${port}, health: { intervalMs: 50, timeoutMs: 20000, successes: 2 }, stopTimeoutMs: 2000 }),
    process.env.MISCONFIGURED ? misconfigured : monitor({ interval: '50ms', count: 3, metrics: [metric] }),
    rollback(),
  ],
}
`

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) killServers(dir)
  for (const dir of dirs) expect(serverPids(dir)).toEqual([])
})

function openReleases(dir: string): string[] {
  const lines = readFileSync(join(dir, '.mlci', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  const closed = new Set(lines.filter((l) => l.type === 'commit' || l.type === 'abort').map((l) => l.ref))
  return lines.filter((l) => l.type === 'intent' && l.step === 'release' && !closed.has(l.id)).map((l) => l.data.candidate.split('+')[0])
}

/** 0.1.0 released (live, serving), then params changed so the next build trains a new candidate. */
async function releasedThenRetrained(): Promise<{ port: number; dir: string }> {
  const port = await freePort()
  const dir = copyFixture('classifier', { 'mlci.config.ts': config(port) })
  dirs.push(dir)
  const first = await runCli(['build'], { cwd: dir, timeoutMs: 120_000 })
  expect(first.code, first.output).toBe(0)
  const params = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'))
  writeFileSync(join(dir, 'params.json'), JSON.stringify({ ...params, epochs: 150 }))
  return { port, dir }
}

describe('a release whose analysis ends Error, without rollback', { timeout: 300_000 }, () => {
  it('stays open as "serving, unproven", shown by versions and verify; the next build resolves it', async () => {
    const { port, dir } = await releasedThenRetrained()
    const unmeasured = await runCli(['build'], { cwd: dir, env: { UNMEASURABLE: '1' }, timeoutMs: 120_000 })
    expect(unmeasured.code, unmeasured.output).toBe(1)
    expect(unmeasured.output).toContain('[MLCI_ANALYSIS_ERROR]')
    const reg = registryState(dir)
    const candidate = Object.keys(reg.versions).find((v) => !v.startsWith('0.1.0'))!
    const key = candidate.split('+')[0]
    expect(unmeasured.output).toContain(`${candidate} serves but is unproven (its analysis ended Error); live still names 0.1.0`)
    // The true state: the candidate answers, it is pending (no verdict), live names the proven one,
    // and the journal keeps the release open.
    expect(await predict(port)).toMatchObject({ status: 200, version: candidate })
    expect(reg.versions[candidate].status).toBe('pending')
    expect(reg.aliases.live).toMatch(/^0\.1\.0/)
    expect(openReleases(dir)).toEqual([key])

    const versions = await runCli(['versions'], { cwd: dir })
    expect(versions.stdout).toContain('serving, unproven')
    expect(versions.stdout).toMatch(new RegExp(`Serving: ${candidate.replace(/[.+]/g, '\\$&')}, unproven \\(its analysis ended Error\\); live names 0\\.1\\.0`))
    const json = JSON.parse((await runCli(['versions', '--json'], { cwd: dir })).stdout)
    expect(json.serving).toMatchObject({ version: candidate, unproven: true })
    const verify = await runCli(['registry', 'verify'], { cwd: dir })
    expect(verify.code, verify.output).toBe(0)
    expect(verify.stdout).toContain(`note: release ${candidate}: ${candidate} serves, unproven (its analysis ended Error); live names 0.1.0`)

    // The next build (measurable again) resolves it: live serves again, then the same inputs
    // resume the pending candidate, which is deployed, proven and released.
    const next = await runCli(['build'], { cwd: dir, timeoutMs: 120_000 })
    expect(next.code, next.output).toBe(0)
    expect(next.output).toContain(`${candidate} was left serving unproven by run `)
    expect(next.output).toMatch(new RegExp(`Serving 0\\.1\\.0\\S* \\(live\\) again; ${candidate.replace(/[.+]/g, '\\$&')} stays pending, not failed`))
    expect(next.output).toContain(`Resuming ${candidate}`)
    const after = registryState(dir)
    expect(after.versions[candidate].status).toBe('ready')
    expect(after.aliases.live).toBe(candidate)
    expect(openReleases(dir)).toEqual([])
    expect(await predict(port)).toMatchObject({ status: 200, version: candidate })
    expect((await runCli(['versions'], { cwd: dir })).stdout).not.toContain('unproven')
  })

  it('a monitor that cannot run because of its configuration (exit 2) judges nothing: no rollback, nothing failed, the candidate serves unproven', async () => {
    const { port, dir } = await releasedThenRetrained()
    const r = await runCli(['build'], { cwd: dir, env: { MISCONFIGURED: '1' }, timeoutMs: 120_000 })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('latency-slo: option `slo` is not set in mlci.config.ts')
    const reg = registryState(dir)
    const candidate = Object.keys(reg.versions).find((v) => !v.startsWith('0.1.0'))!
    expect(r.output).toContain(`Not rolling back and not marking ${candidate} failed: the monitor could not run (a configuration error)`)
    expect(r.output).not.toContain('Rolling back')
    expect(reg.versions[candidate].status).toBe('pending')
    expect(reg.aliases.live).toMatch(/^0\.1\.0/)
    expect(openReleases(dir)).toEqual([candidate.split('+')[0]])
    expect(await predict(port)).toMatchObject({ status: 200, version: candidate })
    expect((await runCli(['versions'], { cwd: dir })).stdout).toContain('serving, unproven')
  })
})
