// The registry's write lock in process on real files: who may remove it, what counts as dead,
// what the timeout error says. (registry.test.ts races real processes against it.)
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { withWriteLock } from './write-lock.js'

const root = mkdtempSync(join(tmpdir(), 'mlci-write-lock-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const lockFile = () => join(root, `w${n++}.lock`)
const live = () => JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'theirs', since: '2026-12-03T10:00:00.000Z' })

describe('withWriteLock', () => {
  it('holds the lock (pid, host, nonce) while fn runs, returns its value, then removes it', async () => {
    const file = lockFile()
    const value = await withWriteLock(file, async () => {
      const held = JSON.parse(readFileSync(file, 'utf8'))
      expect(held).toMatchObject({ pid: process.pid, host: hostname(), nonce: expect.stringMatching(/^[0-9a-f]{16}$/) })
      return 42
    })
    expect(value).toBe(42)
    expect(existsSync(file)).toBe(false)
  })

  it('removes it when fn throws too, and rethrows', async () => {
    const file = lockFile()
    await expect(withWriteLock(file, async () => { throw new Error('inside') })).rejects.toThrow('inside')
    expect(existsSync(file)).toBe(false)
  })

  it('never removes a lock that is not its own any more', async () => {
    const file = lockFile()
    await withWriteLock(file, async () => { writeFileSync(file, live()) })
    expect(readFileSync(file, 'utf8')).toBe(live())
    rmSync(file)
    await withWriteLock(file, async () => { rmSync(file) }) // gone: nothing to remove, no error
    expect(existsSync(file)).toBe(false)
  })

  it('a live holder: waits, then fails at the timeout naming it and the file', async () => {
    const file = lockFile()
    writeFileSync(file, live())
    const started = Date.now()
    await expect(withWriteLock(file, async () => 1, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'MLCI_LOCKED',
      message: `The model registry is locked by PID ${process.pid} on ${hostname()} (since 2026-12-03T10:00:00.000Z).`,
      hint: `Another mlci process is writing the registry. If that process is gone (another host?), remove ${file}.`,
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    expect(readFileSync(file, 'utf8')).toBe(live())
  })

  it('a live holder that lets go: the waiter gets the lock', async () => {
    const file = lockFile()
    writeFileSync(file, live())
    const waiting = withWriteLock(file, async () => 'mine', { timeoutMs: 10_000 })
    rmSync(file)
    await expect(waiting).resolves.toBe('mine')
  })

  it('a dead holder on this host is reclaimed at once; one on another host is not', async () => {
    const file = lockFile()
    writeFileSync(file, JSON.stringify({ pid: 999_999, host: hostname(), nonce: 'dead', since: 'then' }))
    await expect(withWriteLock(file, async () => 'ok', { timeoutMs: 100 })).resolves.toBe('ok')
    writeFileSync(file, JSON.stringify({ pid: 999_999, host: `not-${hostname()}`, nonce: 'remote', since: 'then' }))
    await expect(withWriteLock(file, async () => 'ok', { timeoutMs: 100 })).rejects.toMatchObject({ code: 'MLCI_LOCKED', message: expect.stringContaining(`on not-${hostname()}`) })
  })

  it('an unreadable lock is only taken over once it is older than 5 s', async () => {
    const file = lockFile()
    writeFileSync(file, '{"pid": "not a number"}')
    await expect(withWriteLock(file, async () => 'ok', { timeoutMs: 100 })).rejects.toMatchObject({ message: 'The model registry is locked by an unknown process.' })
    const old = (Date.now() - 6_000) / 1000
    utimesSync(file, old, old)
    await expect(withWriteLock(file, async () => 'ok', { timeoutMs: 100 })).resolves.toBe('ok')
    // A pid that is not a number is not a holder either, even with a nonce: a fresh one is waited
    // for as "an unknown process", never judged dead by its pid.
    writeFileSync(file, JSON.stringify({ pid: 'not a number', host: hostname(), nonce: 'n', since: 'then' }))
    await expect(withWriteLock(file, async () => 'ok', { timeoutMs: 100 })).rejects.toMatchObject({ message: 'The model registry is locked by an unknown process.' })
    writeFileSync(file, JSON.stringify({ pid: 1, host: hostname() })) // no nonce: not a holder either
    utimesSync(file, old, old)
    await expect(withWriteLock(file, async () => 'ok', { timeoutMs: 100 })).resolves.toBe('ok')
  })
})

// The waiter's clock and backoff, made observable: Math.random is called exactly once per backoff
// (the jitter), so a spy on it counts the backoffs and can move a fake Date.now forward. The
// sleeps themselves are real (node:timers/promises ignores fake timers).
describe('withWriteLock timing', () => {
  afterEach(() => { vi.useRealTimers(); vi.restoreAllMocks() })

  it('gives up only once the deadline has passed, not when it is reached', async () => {
    const file = lockFile()
    writeFileSync(file, live())
    vi.useFakeTimers({ toFake: ['Date'] }) // frozen: Date.now() moves only when the spy moves it
    const backoffs = vi.spyOn(Math, 'random').mockImplementation(() => { vi.setSystemTime(Date.now() + 1); return 0 })
    // timeoutMs 0: the first check sees now === deadline, which is not past it, so one backoff.
    await expect(withWriteLock(file, async () => 1, { timeoutMs: 0 })).rejects.toMatchObject({ code: 'MLCI_LOCKED' })
    expect(backoffs).toHaveBeenCalledTimes(1)
  })

  it('an unreadable lock exactly 5 s old is not taken over yet; a millisecond later it is', async () => {
    const file = lockFile()
    writeFileSync(file, 'not json')
    const mtime = Math.floor(Date.now() / 1000) - 60 // whole seconds: mtimeMs is exact
    utimesSync(file, mtime, mtime)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(mtime * 1000 + 5_000)
    const backoffs = vi.spyOn(Math, 'random').mockImplementation(() => { vi.setSystemTime(Date.now() + 1); return 0 })
    await expect(withWriteLock(file, async () => 'ok', { timeoutMs: 10_000 })).resolves.toBe('ok')
    expect(backoffs).toHaveBeenCalledTimes(1)
  })

  it('backs off with jittered doubling waits capped at 50 ms: 10 waits take 1-2 × (2+4+…+32+5×50) ms', async () => {
    const file = lockFile()
    writeFileSync(file, live())
    let waits = 0
    // Jitter at its top (×2 on each wait); the tenth backoff lets the holder go.
    vi.spyOn(Math, 'random').mockImplementation(() => { if (++waits === 10) rmSync(file); return 0.999 })
    const started = performance.now()
    await expect(withWriteLock(file, async () => 'mine', { timeoutMs: 60_000 })).resolves.toBe('mine')
    const took = performance.now() - started
    expect(waits).toBe(10)
    // 2+4+8+16+32+50×5 = 312 ms of base delay, each wait 1.999× its base: ≈ 624 ms. Waits that
    // shrink, lose the jitter or skip the doubling stay under 400 ms; waits that grow past the cap
    // take seconds.
    expect(took).toBeGreaterThanOrEqual(600)
    expect(took).toBeLessThan(3_000)
  })
})
