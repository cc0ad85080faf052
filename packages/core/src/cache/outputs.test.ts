// storeOutputs / checkBlobs / restoreOutputs on real files, a real content store and a real stat
// cache: what an entry records (sorted paths, declared folders, per-phase cwd, modes), when a
// workspace file's hash may be trusted without reading it again, and what restore rewrites.
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../../test/helpers/testdir.js'
import { StatCache } from '../hash/stat-cache.js'
import { ContentStore } from '../store/content-store.js'
import type { CacheEntry } from './entries.js'
import { checkBlobs, restoreOutputs, storeOutputs } from './outputs.js'
import type { PhaseDeclaration } from './types.js'

const decl = (outputs: string[], extra: Partial<PhaseDeclaration> = {}): PhaseDeclaration =>
  ({ phase: 'train', plugin: 'p', inputs: [], outputs, ...extra }) as PhaseDeclaration

/** Files dated 10 s back: the stat cache trusts a row only when the file is older than its hash. */
function project(files: Record<string, string>): string {
  const dir = testdir(files)
  const past = new Date(Date.now() - 10_000)
  for (const f of Object.keys(files)) utimesSync(join(dir, f), past, past)
  return dir
}

function tools(dir: string) {
  return { store: new ContentStore(join(dir, '.mlci/objects')), stats: StatCache.load(join(dir, '.mlci/stat.json')) }
}

/** A store that lets `during` touch the source file after copying it (a writer racing the copy). */
class RacingStore extends ContentStore {
  constructor(dir: string, private readonly during: (file: string) => void) {
    super(dir)
  }

  override async put(file: string) {
    const result = await super.put(file)
    this.during(file)
    return result
  }
}

function entryOf(stored: Awaited<ReturnType<typeof storeOutputs>>): CacheEntry {
  return { schema: 1, phase: 'train', fingerprint: 'f', createdAt: '', outputs: stored.outputs, dirs: stored.dirs, size: 0, data: {}, log: [] }
}

describe('storeOutputs', () => {
  it('records files and the files of declared folders, sorted by path, with folders listed; missing outputs are skipped', async () => {
    const dir = project({ 'b.txt': 'b', 'a.txt': 'a', 'z/2.txt': '2', 'z/1.txt': '1', 'm/x.txt': 'x' })
    mkdirSync(join(dir, 'm/empty'))
    chmodSync(join(dir, 'a.txt'), 0o640)
    const { store, stats } = tools(dir)
    const stored = await storeOutputs(dir, [decl(['z', 'b.txt', 'never-written.txt']), decl(['m', 'a.txt', 'gone/'])], store, stats)
    expect(stored.outputs.map((o) => o.path)).toEqual(['a.txt', 'b.txt', 'm/x.txt', 'z/1.txt', 'z/2.txt'])
    expect(stored.dirs).toEqual(['m', 'z'])
    expect(stored.outputs.find((o) => o.path === 'a.txt')).toMatchObject({ size: 1, mode: 0o640 })
    for (const o of stored.outputs) expect(readFileSync(store.path(o.digest), 'utf8')).toBe(readFileSync(join(dir, o.path), 'utf8'))
  })

  it("resolves outputs against the declaration's cwd", async () => {
    const dir = project({ 'pkg/model.bin': 'weights' })
    const { store, stats } = tools(dir)
    const stored = await storeOutputs(dir, [decl(['model.bin'], { cwd: 'pkg' })], store, stats)
    expect(stored.outputs.map((o) => o.path)).toEqual(['pkg/model.bin'])
  })

  it('refuses an output outside the project and stops when aborted', async () => {
    const dir = project({ 'a.txt': 'a' })
    const { store, stats } = tools(dir)
    await expect(storeOutputs(dir, [decl(['../elsewhere.txt'])], store, stats)).resolves.toEqual({ outputs: [], dirs: [] })
    const outside = `../${basename(dir)}-outside-out.txt`
    writeFileSync(join(dir, outside), 'x')
    try {
      await expect(storeOutputs(dir, [decl([outside])], store, stats)).rejects.toThrow(/outside the project root/)
    } finally {
      rmSync(join(dir, outside))
    }
    await expect(storeOutputs(dir, [decl(['a.txt'])], store, stats, AbortSignal.abort())).rejects.toThrow()
  })

  it("remembers an unchanged output's hash, so the next check does not read it again", async () => {
    const dir = project({ 'a.txt': 'content' })
    const { store, stats } = tools(dir)
    const stored = await storeOutputs(dir, [decl(['a.txt'])], store, stats)
    expect(stats.lookup('a.txt', statSync(join(dir, 'a.txt')))).toBe(stored.outputs[0].hash)
  })

  it('does not remember a file that changed while it was copied (content or only its metadata)', async () => {
    for (const touch of [(f: string) => appendFileSync(f, ' more'), (f: string) => chmodSync(f, 0o600)]) {
      const dir = project({ 'a.txt': 'content' })
      const stats = StatCache.load(join(dir, '.mlci/stat.json'))
      const store = new RacingStore(join(dir, '.mlci/objects'), touch)
      await storeOutputs(dir, [decl(['a.txt'])], store, stats)
      expect(stats.keys()).not.toContain('a.txt')
    }
  })
})

describe('checkBlobs', () => {
  it('names the output and a short digest of a missing or corrupt blob', async () => {
    const dir = project({ 'a.txt': 'content' })
    const { store, stats } = tools(dir)
    const entry = entryOf(await storeOutputs(dir, [decl(['a.txt'])], store, stats))
    expect(await checkBlobs(dir, entry, store, stats)).toBeUndefined()
    const { digest } = entry.outputs[0]
    writeFileSync(store.path(digest), 'tampered')
    expect(await checkBlobs(dir, entry, store, stats)).toEqual({ problem: `the stored copy of a.txt (${digest.slice(0, 19)}…) is corrupt`, digest })
    rmSync(store.path(digest))
    expect(await checkBlobs(dir, entry, store, stats)).toEqual({ problem: `the stored copy of a.txt (${digest.slice(0, 19)}…) is missing`, digest })
  })
})

describe('restoreOutputs', () => {
  it('recreates declared folders (empty ones too) and missing files; leaves identical files; rewrites same-size edits', async () => {
    const dir = project({ 'out/a.txt': 'aaaa', 'b.txt': 'bbbb' })
    mkdirSync(join(dir, 'logs'))
    const { store, stats } = tools(dir)
    const entry = entryOf(await storeOutputs(dir, [decl(['out', 'logs', 'b.txt'])], store, stats))
    rmSync(join(dir, 'out'), { recursive: true })
    rmSync(join(dir, 'logs'), { recursive: true })
    writeFileSync(join(dir, 'b.txt'), 'BBBB') // same size, other content
    const fresh = StatCache.load(join(dir, '.mlci/none.json'))
    expect(await restoreOutputs(dir, entry, store, fresh)).toEqual({ written: 2, unchanged: 0 })
    expect(existsSync(join(dir, 'logs'))).toBe(true)
    expect(readFileSync(join(dir, 'out/a.txt'), 'utf8')).toBe('aaaa')
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('bbbb')
    const before = statSync(join(dir, 'out/a.txt')).mtimeMs
    expect(await restoreOutputs(dir, entry, store, fresh)).toEqual({ written: 0, unchanged: 2 })
    expect(statSync(join(dir, 'out/a.txt')).mtimeMs).toBe(before)
  })

  it('refuses to write an entry path outside the project', async () => {
    const dir = project({ 'a.txt': 'a' })
    const { store, stats } = tools(dir)
    const entry = entryOf(await storeOutputs(dir, [decl(['a.txt'])], store, stats))
    const escaped = `../${basename(dir)}-escaped-by-entry.txt`
    entry.outputs[0].path = escaped
    try {
      await expect(restoreOutputs(dir, entry, store, stats)).rejects.toMatchObject({ code: 'MLCI_USAGE' })
      expect(existsSync(join(dir, escaped))).toBe(false)
    } finally {
      rmSync(join(dir, escaped), { force: true })
    }
  })
})
