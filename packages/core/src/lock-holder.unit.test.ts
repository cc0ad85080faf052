// The repo lock's judgement of its holder, on this real process: alive only when it is the same
// process that took the lock (a PID reused by a later process is dead), another host is never
// judged; and what a waiter and a loser are told.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireLock, describeHolder, holderState, readLock, removeLock, type LockHolder } from './lock.js'
import { processStartTime } from './process-alive.js'

const root = mkdtempSync(join(tmpdir(), 'mlci-lock-holder-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const fresh = () => {
  const dir = join(root, `d${n++}`)
  mkdirSync(dir)
  return join(dir, 'lock')
}

const myStart = processStartTime(process.pid)!
const me = (extra: Partial<LockHolder> = {}): LockHolder => ({ pid: process.pid, command: 'mlci build', startedAt: new Date(myStart + 60_000).toISOString(), hostname: hostname(), ...extra })

describe('holderState', () => {
  it('with the recorded process start: the same process is alive, one started more than 1 s apart reused the PID', () => {
    expect(myStart).toBeGreaterThan(0)
    expect(holderState(me({ processStart: myStart }))).toBe('alive')
    expect(holderState(me({ processStart: myStart + 900 }))).toBe('alive')
    expect(holderState(me({ processStart: myStart - 900 }))).toBe('alive')
    expect(holderState(me({ processStart: myStart + 1500 }))).toBe('dead')
    expect(holderState(me({ processStart: myStart - 1500 }))).toBe('dead')
  })

  it('without it: a process that started more than 5 s after the lock was taken is not the holder', () => {
    expect(holderState(me())).toBe('alive')
    expect(holderState(me({ startedAt: new Date(myStart - 4000).toISOString() }))).toBe('alive')
    expect(holderState(me({ startedAt: new Date(myStart - 6000).toISOString() }))).toBe('dead')
  })

  it('no holder is dead; another host is never judged; no host means this one', () => {
    expect(holderState(undefined)).toBe('dead')
    expect(holderState(me({ hostname: 'elsewhere' }))).toBe('other-host')
    expect(holderState(me({ hostname: undefined }))).toBe('alive')
    expect(holderState(me({ pid: 4_194_321, hostname: undefined }))).toBe('dead')
  })

  it('describeHolder names an unknown host as such', () => {
    expect(describeHolder(me({ hostname: undefined, startedAt: 'T' }))).toBe('PID ' + process.pid + ' on host unknown (`mlci build`, since T)')
  })
})

describe('readLock / removeLock', () => {
  it('reads the text and holder (none for garbage), and removes only the lock that was judged', () => {
    const file = fresh()
    expect(readLock(file)).toBeUndefined()
    writeFileSync(file, 'garbage')
    expect(readLock(file)).toEqual({ text: 'garbage', holder: undefined })
    const text = JSON.stringify(me())
    writeFileSync(file, text)
    expect(readLock(file)).toEqual({ text, holder: me() })
    removeLock(file, 'garbage')
    expect(readLock(file)?.text).toBe(text)
    removeLock(file, text)
    expect(readLock(file)).toBeUndefined()
  })
})

describe('acquireLock: what waiters and losers see', () => {
  it('a lock held on another host: says it cannot tell and how to remove it', async () => {
    const file = fresh()
    writeFileSync(file, JSON.stringify(me({ hostname: 'ci-7' })))
    await expect(acquireLock(file, { command: 'x' })).rejects.toMatchObject({
      code: 'MLCI_LOCKED', message: expect.stringContaining('mlci cannot tell from here whether it still runs'),
      hint: `If that run is over (a shared or copied checkout), remove the lock with \`mlci unlock --force\`. The lock file is ${file}.`,
    })
  })

  it('onWait is called once however long it waits; a reclaimed stale lock without onStale is fine', async () => {
    const file = fresh()
    writeFileSync(file, JSON.stringify(me({ command: 'holder' })))
    let waits = 0
    const lock = await acquireLock(file, {
      command: 'waiter', wait: true, timeoutMs: 20_000,
      // The holder keeps the lock for several 100 ms polls after the waiter starts waiting.
      onWait: () => { waits++; setTimeout(() => rmSync(file), 450) },
    })
    expect(waits).toBe(1)
    await lock.release()
    writeFileSync(file, JSON.stringify(me({ pid: 4_194_321 })))
    await (await acquireLock(file, { command: 'after a dead one' })).release()
  })

  it('a held lock removes itself when the process exits, and stops listening once released', async () => {
    const file = fresh()
    const before = process.listenerCount('exit')
    const lock = await acquireLock(file, { command: 'x' })
    expect(process.listenerCount('exit')).toBe(before + 1)
    process.listeners('exit').at(-1)!.call(process, 0 as never)
    expect(readLock(file)).toBeUndefined()
    expect(process.listenerCount('exit')).toBe(before)
    await lock.release()
  })
})
