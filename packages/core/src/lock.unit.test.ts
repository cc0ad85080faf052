// The repo lock, its file primitives and atomic writes, in process on real files. (lock.test.ts
// races real processes; these pin down each rule so a wrong line fails a named test.)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeFileAtomic, writeFileAtomicSync, writeJsonAtomic } from './atomic.js'
import { acquireLock, type LockHolder } from './lock.js'
import { createExclusive, readLockFile, reclaimLock } from './lock-file.js'

const root = mkdtempSync(join(tmpdir(), 'mlci-lock-unit-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const fresh = () => {
  const dir = join(root, `d${n++}`)
  mkdirSync(dir)
  return dir
}
const holderFile = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as LockHolder
/** A holder that is alive: this test process, under another command, locked after the process started (an earlier time would look like a reused PID). */
const LIVE_SINCE = new Date().toISOString()
const liveHolder = (command = 'mlci build') => JSON.stringify({ pid: process.pid, command, startedAt: LIVE_SINCE, hostname: hostname() })

describe('acquireLock', () => {
  it('writes who holds it (pid, command, start, host), and release removes it', async () => {
    const file = join(fresh(), 'sub', 'lock')
    const lock = await acquireLock(file, { command: 'mlci build --force' })
    expect(lock.file).toBe(file)
    const holder = holderFile(file)
    expect(holder).toMatchObject({ pid: process.pid, command: 'mlci build --force', hostname: hostname() })
    expect(Date.now() - Date.parse(holder.startedAt)).toBeLessThan(60_000)
    await lock.release()
    expect(existsSync(file)).toBe(false)
  })

  it('release never removes a lock someone else holds now', async () => {
    const file = join(fresh(), 'lock')
    const lock = await acquireLock(file, { command: 'a' })
    writeFileSync(file, liveHolder('someone else'))
    await lock.release()
    expect(readFileSync(file, 'utf8')).toBe(liveHolder('someone else'))
  })

  it('a live holder: fails at once naming PID, command and start, and how to wait', async () => {
    const file = join(fresh(), 'lock')
    writeFileSync(file, liveHolder('mlci watch'))
    const stale: unknown[] = []
    await expect(acquireLock(file, { command: 'b', onStale: (h) => stale.push(h) })).rejects.toMatchObject({
      code: 'MLCI_LOCKED',
      message: `Another mlci run holds the repo lock: PID ${process.pid} on host ${hostname()} (\`mlci watch\`, since ${LIVE_SINCE}).`,
      hint: `Wait for it to finish, or pass --wait-for-lock to start when it does. The lock file is ${file}.`,
    })
    expect(stale).toEqual([])
    expect(readFileSync(file, 'utf8')).toBe(liveHolder('mlci watch'))
  })

  it('a dead holder on this host is reclaimed, reported once', async () => {
    const file = join(fresh(), 'lock')
    const dead = { pid: 999_999, command: 'mlci build', startedAt: 'then', hostname: hostname() }
    writeFileSync(file, JSON.stringify(dead))
    const stale: unknown[] = []
    const lock = await acquireLock(file, { command: 'c', onStale: (h) => stale.push(h) })
    expect(stale).toEqual([dead])
    expect(holderFile(file).command).toBe('c')
    await lock.release()
  })

  it('a lock without a host counts as this host; garbage counts as stale', async () => {
    const file = join(fresh(), 'lock')
    writeFileSync(file, JSON.stringify({ pid: 999_999, command: 'old', startedAt: 'then' }))
    const stale: unknown[] = []
    await (await acquireLock(file, { command: 'd', onStale: (h) => stale.push(h) })).release()
    writeFileSync(file, 'not json')
    await (await acquireLock(file, { command: 'e', onStale: (h) => stale.push(h) })).release()
    writeFileSync(file, JSON.stringify({ command: 'no pid' }))
    await (await acquireLock(file, { command: 'f', onStale: (h) => stale.push(h) })).release()
    expect(stale).toEqual([{ pid: 999_999, command: 'old', startedAt: 'then' }, undefined, undefined])
  })

  it('a dead PID on another host is not ours to judge: still locked', async () => {
    const file = join(fresh(), 'lock')
    writeFileSync(file, JSON.stringify({ pid: 999_999, command: 'remote', startedAt: 'then', hostname: `not-${hostname()}` }))
    await expect(acquireLock(file, { command: 'g' })).rejects.toMatchObject({ code: 'MLCI_LOCKED', message: expect.stringContaining(`PID 999999 on host not-${hostname()} (\`remote\``) })
  })

  it('wait: says once that it waits, then takes the lock when the holder releases', async () => {
    const file = join(fresh(), 'lock')
    writeFileSync(file, liveHolder('holder'))
    const waits: (LockHolder | undefined)[] = []
    const waiting = acquireLock(file, {
      command: 'waiter', wait: true, timeoutMs: 10_000,
      // The holder lets go only once we know the waiter is waiting.
      onWait: (h) => { waits.push(h); rmSync(file) },
    })
    const lock = await waiting
    expect(waits).toEqual([JSON.parse(liveHolder('holder'))])
    expect(holderFile(file).command).toBe('waiter')
    await lock.release()
  })

  it('wait gives up after timeoutMs, and at once when aborted', async () => {
    const file = join(fresh(), 'lock')
    writeFileSync(file, liveHolder())
    const started = Date.now()
    await expect(acquireLock(file, { command: 'h', wait: true, timeoutMs: 250 })).rejects.toMatchObject({ code: 'MLCI_LOCKED' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    const controller = new AbortController()
    controller.abort()
    await expect(acquireLock(file, { command: 'i', wait: true, signal: controller.signal })).rejects.toMatchObject({ code: 'MLCI_LOCKED' })
  })
})

describe('lock file primitives', () => {
  it('createExclusive: true once with the whole content, then false; no temp file left', () => {
    const dir = fresh()
    const file = join(dir, 'nested', 'lock')
    expect(createExclusive(file, 'first')).toBe(true)
    expect(createExclusive(file, 'second')).toBe(false)
    expect(readFileSync(file, 'utf8')).toBe('first')
    expect(readdirSync(join(dir, 'nested'))).toEqual(['lock'])
  })

  it('createExclusive: other errors are thrown, not read as "taken"', () => {
    const dir = fresh()
    mkdirSync(join(dir, 'ro'))
    writeFileSync(join(dir, 'ro', 'x'), '')
    // The parent "folder" is a file: not EEXIST, a real error.
    expect(() => createExclusive(join(dir, 'ro', 'x', 'lock'), 'c')).toThrow(/ENOTDIR|EEXIST/)
  })

  it('reclaimLock removes exactly the judged lock', () => {
    const dir = fresh()
    const file = join(dir, 'lock')
    writeFileSync(file, 'dead')
    reclaimLock(file, 'dead')
    expect(existsSync(file)).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })

  it('reclaimLock gives back a lock taken since it was judged', () => {
    const dir = fresh()
    const file = join(dir, 'lock')
    writeFileSync(file, 'alive')
    reclaimLock(file, 'dead')
    expect(readFileSync(file, 'utf8')).toBe('alive')
    expect(readdirSync(dir)).toEqual(['lock'])
  })

  it('reclaimLock on a lock already gone does nothing', () => {
    const dir = fresh()
    expect(() => reclaimLock(join(dir, 'lock'), 'dead')).not.toThrow()
    expect(readdirSync(dir)).toEqual([])
  })

  it('readLockFile: content, or undefined when there is none', () => {
    const dir = fresh()
    writeFileSync(join(dir, 'lock'), 'x')
    expect(readLockFile(join(dir, 'lock'))).toBe('x')
    expect(readLockFile(join(dir, 'none'))).toBeUndefined()
  })
})

describe('atomic writes', () => {
  for (const durable of [true, false]) {
    it(`durable: ${durable} — creates folders, replaces whole, leaves no temp file`, async () => {
      const dir = fresh()
      const file = join(dir, 'a', 'b.json')
      await writeFileAtomic(file, 'one', { durable })
      await writeFileAtomic(file, new TextEncoder().encode('two'), { durable })
      expect(readFileSync(file, 'utf8')).toBe('two')
      expect(readdirSync(join(dir, 'a'))).toEqual(['b.json'])
    })

    it(`durable: ${durable} — a failed rename leaves the target as it was and no temp file`, async () => {
      const dir = fresh()
      const target = join(dir, 'taken')
      mkdirSync(join(target, 'child'), { recursive: true }) // renaming a file onto a non-empty folder fails
      await expect(writeFileAtomic(target, 'x', { durable })).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/)
      expect(readdirSync(dir)).toEqual(['taken'])
      expect(readdirSync(target)).toEqual(['child'])
    })
  }

  it('writeJsonAtomic writes indented JSON with a final newline', async () => {
    const file = join(fresh(), 'v.json')
    await writeJsonAtomic(file, { a: 1, b: [true] })
    expect(readFileSync(file, 'utf8')).toBe('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}\n')
  })

  it('writeFileAtomicSync: a failed write removes its temp file and throws', () => {
    const dir = fresh()
    mkdirSync(join(dir, 'taken', 'child'), { recursive: true })
    expect(() => writeFileAtomicSync(join(dir, 'taken'), 'x')).toThrow()
    expect(readdirSync(dir)).toEqual(['taken'])
  })
})
