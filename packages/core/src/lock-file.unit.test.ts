import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../test/helpers/testdir.js'
import { createExclusive, readLockFile, reclaimLock } from './lock-file.js'

// The lock-file primitives on the real file system: a lock appears whole or not at all, a taken
// lock is never replaced, and reclaiming removes only the lock that was judged dead.

const fresh = () => testdir()

describe('createExclusive', () => {
  it('creates the lock (and its folder) with its content; a second create fails and changes nothing; no temp file is left', () => {
    const dir = fresh()
    const file = join(dir, 'nested', 'x.lock')
    expect(createExclusive(file, 'first')).toBe(true)
    expect(readFileSync(file, 'utf8')).toBe('first')
    expect(createExclusive(file, 'second')).toBe(false)
    expect(readFileSync(file, 'utf8')).toBe('first')
    expect(readdirSync(join(dir, 'nested'))).toEqual(['x.lock'])
  })

  it('a temp file that cannot be written (its name is too long) throws that error and leaves nothing', () => {
    const dir = fresh()
    // The lock's own name fits (240 bytes); the temp name beside it (+ pid, random, .tmp) does not.
    expect(() => createExclusive(join(dir, `${'l'.repeat(240)}`), 'c')).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }))
    // A write that fails before the temp file exists reports its own error (not a later link's).
    expect(() => createExclusive(join(dir, 'x.lock'), 42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('reclaimLock', () => {
  it('removes the lock it judged dead, leaving nothing aside', () => {
    const dir = fresh()
    const file = join(dir, 'x.lock')
    writeFileSync(file, 'dead holder')
    reclaimLock(file, 'dead holder')
    expect(readdirSync(dir)).toEqual([])
  })

  it('gives back a lock taken by someone else since it was judged (content differs)', () => {
    const dir = fresh()
    const file = join(dir, 'x.lock')
    writeFileSync(file, 'live holder')
    reclaimLock(file, 'dead holder')
    expect(readFileSync(file, 'utf8')).toBe('live holder')
    expect(readdirSync(dir)).toEqual(['x.lock'])
  })

  it('a lock released meanwhile is no error', () => {
    const dir = fresh()
    expect(() => reclaimLock(join(dir, 'x.lock'), 'whatever')).not.toThrow()
    expect(readdirSync(dir)).toEqual([])
  })

  it('other rename errors are thrown', () => {
    const dir = fresh()
    writeFileSync(join(dir, 'file'), '')
    expect(() => reclaimLock(join(dir, 'file', 'x.lock'), 'j')).toThrow(expect.objectContaining({ code: 'ENOTDIR' }))
  })
})

describe('readLockFile', () => {
  it('the content, or undefined when there is no lock', () => {
    const dir = fresh()
    expect(readLockFile(join(dir, 'x.lock'))).toBeUndefined()
    writeFileSync(join(dir, 'x.lock'), 'holder')
    expect(readLockFile(join(dir, 'x.lock'))).toBe('holder')
  })
})
