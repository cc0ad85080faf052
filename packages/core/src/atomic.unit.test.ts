import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { testdir } from '../../../test/helpers/testdir.js'
import { writeFileAtomic, writeFileAtomicSync, writeJsonAtomic } from './atomic.js'

// Atomic writes on the real file system: the content, the folders created, and — the part a
// reader relies on — no temp file left behind and the old content intact when the rename fails.

const fresh = () => testdir()

describe('atomic writes', () => {
  for (const [name, write] of [
    ['durable', (f: string, d: string) => writeFileAtomic(f, d)],
    ['not durable', (f: string, d: string) => writeFileAtomic(f, d, { durable: false })],
    ['sync', async (f: string, d: string) => writeFileAtomicSync(f, d)],
  ] as const) {
    it(`${name}: creates missing folders, replaces the content whole, leaves only the file`, async () => {
      const dir = fresh()
      const file = join(dir, 'a', 'b', 'state.json')
      await write(file, 'first')
      expect(readFileSync(file, 'utf8')).toBe('first')
      await write(file, 'second, longer than the first')
      expect(readFileSync(file, 'utf8')).toBe('second, longer than the first')
      await write(file, 'x')
      expect(readFileSync(file, 'utf8')).toBe('x') // truncated, not overwritten in place
      expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['state.json'])
    })

    it(`${name}: a rename that fails (the target is a folder) throws, removes its temp file and keeps the target`, async () => {
      const dir = fresh()
      const target = join(dir, 'taken')
      mkdirSync(target)
      writeFileSync(join(target, 'inside'), 'kept')
      await expect(write(target, 'new')).rejects.toMatchObject({ code: expect.stringMatching(/^E(ISDIR|NOTEMPTY|EXIST|NOTDIR)$/) })
      expect(readdirSync(dir)).toEqual(['taken'])
      expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept')
    })
  }

  for (const [name, write] of [
    ['durable', (f: string, d: never) => writeFileAtomic(f, d)],
    ['not durable', (f: string, d: never) => writeFileAtomic(f, d, { durable: false })],
    ['sync', async (f: string, d: never) => writeFileAtomicSync(f, d)],
  ] as const) {
    it(`${name}: a write that fails (data of the wrong type, a too long name) throws its own error and leaves no temp file`, async () => {
      const dir = fresh()
      await expect(write(join(dir, 'state.json'), 42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' })
      // The temp name (file + pid + random + .tmp) is too long while the file's own name fits.
      await expect(write(join(dir, 'n'.repeat(240)), 'x' as never)).rejects.toMatchObject({ code: 'ENAMETOOLONG' })
      expect(readdirSync(dir)).toEqual([])
    })
  }

  it('writes bytes as given', async () => {
    const file = join(fresh(), 'blob')
    const bytes = Uint8Array.from([0, 255, 10, 13, 128])
    await writeFileAtomic(file, bytes)
    expect([...readFileSync(file)]).toEqual([...bytes])
  })

  it('JSON: two-space indented with a final newline; durable: false takes the same path', async () => {
    const dir = fresh()
    await writeJsonAtomic(join(dir, 'a.json'), { b: [1, { c: 'd' }] })
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{\n  "b": [\n    1,\n    {\n      "c": "d"\n    }\n  ]\n}\n')
    await writeJsonAtomic(join(dir, 'sub', 'b.json'), 1, { durable: false })
    expect(readFileSync(join(dir, 'sub', 'b.json'), 'utf8')).toBe('1\n')
  })
})

// What `durable` promises cannot be seen on a running kernel (it shows after a power loss), so
// this watches the system call that gives it: the temp file's fsync, before the rename.
describe('atomic writes: durability', () => {
  it('fsyncs the temp file before renaming it by default and with durable: true; never with durable: false', async () => {
    const dir = fresh()
    const probe = await open(join(dir, 'probe'), 'w')
    const FileHandle = Object.getPrototypeOf(probe) as { sync(): Promise<void> }
    await probe.close()
    const synced: { visible: boolean }[] = []
    const file = join(dir, 'state.json')
    const original = FileHandle.sync
    const spy = vi.spyOn(FileHandle, 'sync').mockImplementation(function (this: unknown) {
      synced.push({ visible: existsSync(file) })
      return original.call(this)
    })
    try {
      await writeFileAtomic(file, 'default')
      expect(synced).toEqual([{ visible: false }])
      await writeFileAtomic(file, 'durable', { durable: true })
      expect(synced).toHaveLength(2)
      await writeFileAtomic(file, 'fast', { durable: false })
      await writeJsonAtomic(file, { fast: true }, { durable: false })
      expect(synced).toHaveLength(2)
      expect(readFileSync(file, 'utf8')).toBe('{\n  "fast": true\n}\n')
    } finally {
      spy.mockRestore()
    }
  })
})
