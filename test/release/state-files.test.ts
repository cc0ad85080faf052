import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { killServers, predict, registryState } from '../rollback/project.js'
import { cliIn, usePipelineProject } from './pipeline.js'

// Release state files under faults a disk and a kill -9 produce, through the real CLI and the
// whole pipeline: a transient deploy error, a torn journal line, a corrupt blob, a full disk.
let dir: string
let port: number
const mlci = cliIn(() => dir)
const statuses = () => Object.fromEntries(Object.entries(registryState(dir).versions).map(([v, x]) => [v.split('+')[0], x.status]))
const journalFile = () => join(dir, '.mlci', 'journal.jsonl')

function setParam(name: string, value: number): void {
  const file = join(dir, 'params.json')
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), [name]: value }, null, 2))
}

function blobFile(version: string): string {
  const digest = Object.entries(registryState(dir).versions).find(([v]) => v.split('+')[0] === version)![1].digest!
  const hex = digest.slice('sha256:'.length)
  return join(dir, '.mlci', 'objects', 'sha256', hex.slice(0, 2), hex.slice(2))
}

const sha256 = (file: string) => `sha256:${execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]}`

usePipelineProject((d, p) => {
  dir = d
  port = p
})

describe('release state survives transient errors and damaged files', { timeout: 300_000 }, () => {
  it('two releases, then back to the first by hand', async () => {
    expect((await mlci(['build'])).code).toBe(0)
    setParam('epochs', 150)
    const second = await mlci(['build'])
    expect(second.code, second.output).toBe(0)
    expect(statuses()).toEqual({ '0.1.0': 'ready', '0.1.1': 'ready' })
    const back = await mlci(['rollback'])
    expect(back.code, back.output).toBe(0)
    expect(registryState(dir).aliases).toEqual({ live: expect.stringMatching(/^0\.1\.0/), previous: expect.stringMatching(/^0\.1\.1/) })
  })

  it('a transient deploy error of an already-ready version does not mark it failed', async () => {
    // Same inputs as 0.1.1: the build re-releases it; its server starts too slowly this time.
    const r = await mlci(['build'], { FAULT_SLOW_HEALTH: '1', MLCI_FAULT_SLOW_START: '4' })
    expect(r.code, r.output).toBe(1)
    expect(r.output).toContain('stays ready: deploying a released version failed')
    expect(statuses()).toEqual({ '0.1.0': 'ready', '0.1.1': 'ready' })
    expect((await predict(port)).version).toMatch(/^0\.1\.0/)
    // The next try releases it.
    const again = await mlci(['build'])
    expect(again.code, again.output).toBe(0)
    expect((await predict(port)).version).toMatch(/^0\.1\.1/)
    expect(statuses()).toEqual({ '0.1.0': 'ready', '0.1.1': 'ready' })
  })

  it('a torn last journal line (a write cut by a full disk or kill -9) is cut off: later builds and rollbacks work', async () => {
    appendFileSync(journalFile(), '{"v":1,"id":"20261203-torn:abcd","type":"inte')
    const verify = await mlci(['registry', 'verify'])
    expect(verify.code, verify.output).toBe(1)
    expect(verify.stdout).toMatch(/journal\.jsonl:\d+: torn: the last write was cut off/)
    const build = await mlci(['build'])
    expect(build.code, build.output).toBe(0)
    const rollback = await mlci(['rollback'])
    expect(rollback.code, rollback.output).toBe(0)
    const build2 = await mlci(['build'])
    expect(build2.code, build2.output).toBe(0)
    expect(readFileSync(journalFile(), 'utf8')).not.toContain('"type":"inte{')
    expect((await mlci(['registry', 'verify'])).code).toBe(0)
  })

  it('verify names a damaged journal line; repair moves it aside and the next build works', async () => {
    const lines = readFileSync(journalFile(), 'utf8').split('\n')
    lines.splice(2, 0, 'this is not JSON')
    writeFileSync(journalFile(), lines.join('\n'))
    const verify = await mlci(['registry', 'verify'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toContain('journal.jsonl:3: damaged')
    const build = await mlci(['build'])
    expect(build.code).toBe(1)
    expect(build.stderr).toContain('journal.jsonl:3 is not a valid journal line')
    const repair = await mlci(['registry', 'repair'])
    expect(repair.code, repair.output).toBe(0)
    expect(repair.stdout).toContain('journal.jsonl:3: removed (damaged)')
    expect(readFileSync(`${journalFile()}.damaged`, 'utf8')).toContain('this is not JSON')
    expect((await mlci(['build'])).code).toBe(0)
  })

  it('a corrupt blob is found by verify, and healed when training produces the same bytes again', async () => {
    const blob = blobFile('0.1.1')
    const good = readFileSync(blob)
    const bad = Buffer.from(good)
    bad[10] ^= 0xff
    writeFileSync(blob, bad)
    const verify = await mlci(['registry', 'verify'])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toMatch(/version 0\.1\.1\S*: artifact out\/model\.json \(sha256:[0-9a-f]+…\) is corrupt in the store/)
    const rebuild = await mlci(['build', '--force'])
    expect(rebuild.code, rebuild.output).toBe(0)
    expect(sha256(blob)).toBe(registryState(dir).versions[Object.keys(registryState(dir).versions).find((v) => v.startsWith('0.1.1'))!].digest)
    expect((await mlci(['registry', 'verify'])).code).toBe(0)
  })

  it('mlci registry mark: a person can undo a wrong failed status, with a reason in the ledger', async () => {
    setParam('epochs', 120)
    const r = await mlci(['build'], { FAULT_ERROR_RATE: '1' })
    expect(r.code).toBe(1)
    const failed = Object.entries(statuses()).find(([, s]) => s === 'failed')![0]
    const noReason = await mlci(['registry', 'mark', failed, 'ready'])
    expect(noReason.code).toBe(2)
    expect(noReason.stderr).toContain('needs --reason')
    const mark = await mlci(['registry', 'mark', failed, 'ready', '--reason', 'the 500s came from a proxy, not the model'])
    expect(mark.code, mark.output).toBe(0)
    expect(statuses()[failed]).toBe('ready')
    expect(registryState(dir).ledger.at(-1)).toMatchObject({ kind: 'status', from: 'failed', to: 'ready', reason: 'the 500s came from a proxy, not the model', by: expect.stringContaining('mlci registry mark') })
    const history = await mlci(['history'])
    expect(history.stdout).toContain('failed → ready')
    // A version marked ready can be rolled to.
    const to = await mlci(['rollback', '--to', failed])
    expect(to.code, to.output).toBe(0)
    expect((await predict(port)).version).toMatch(new RegExp(`^${failed.replace(/\./g, '\\.')}`))
  })
})

describe('a full disk', { timeout: 300_000 }, () => {
  const mnt = () => join(dir, '.mlci')
  let mounted = false
  afterAll(() => {
    if (mounted) {
      killServers(dir)
      try { execFileSync('umount', [mnt()]) } catch { /* not mounted */ }
    }
  })

  it('builds fail naming the path; after space is freed the next build and rollback succeed with no manual step', async () => {
    killServers(dir)
    // Move the state onto a 4 MiB tmpfs.
    const saved = join(dir, 'state-copy')
    execFileSync('cp', ['-a', mnt(), saved])
    rmSync(mnt(), { recursive: true, force: true })
    mkdirSync(mnt())
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt()])
    mounted = true
    execFileSync('sh', ['-c', `cp -a "${saved}"/. "${mnt()}"/ && rm -rf "${saved}"`])
    expect((await mlci(['rollback', '--to', Object.keys(registryState(dir).versions)[0]])).code).toBe(0)
    // Fill the disk, leaving 8 KiB: the run starts (lock, journal) and runs out of space midway.
    try { execFileSync('dd', ['if=/dev/zero', `of=${join(mnt(), 'filler')}`, 'bs=4k'], { stdio: 'ignore' }) } catch { /* ENOSPC: full */ }
    execFileSync('truncate', ['-s', '-8K', join(mnt(), 'filler')])
    setParam('epochs', 90)
    const full = await mlci(['build'])
    expect(full.code, full.output).toBe(1)
    // The run's own error is the headline and names the path; the run record's failure is a detail.
    expect(full.stderr).toMatch(/^✖ No space left on the device \(ENOSPC\) while writing \S*\.mlci\/\S+/m)
    expect(full.stderr).toContain('[MLCI_STATE_WRITE]')
    expect(full.stderr).not.toMatch(/\n\s+at /) // a message, not a stack trace
    // Completely full: even the repo lock names its file.
    try { execFileSync('dd', ['if=/dev/zero', `of=${join(mnt(), 'filler2')}`, 'bs=1k'], { stdio: 'ignore' }) } catch { /* full */ }
    const lock = await mlci(['build'])
    expect(lock.code).toBe(1)
    expect(lock.stderr).toContain(`while writing ${join(mnt(), 'lock')}`)
    rmSync(join(mnt(), 'filler2'))

    rmSync(join(mnt(), 'filler'))
    const build = await mlci(['build'])
    expect(build.code, build.output).toBe(0)
    const rollback = await mlci(['rollback'])
    expect(rollback.code, rollback.output).toBe(0)
    const verify = await mlci(['registry', 'verify'])
    expect(verify.code, verify.output).toBe(0)
  })
})
