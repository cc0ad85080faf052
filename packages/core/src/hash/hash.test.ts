import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { hashBytes, hashFile } from './content-hash.js'
import { stableJson } from './stable-json.js'
import { StatCache } from './stat-cache.js'
import { findFiles } from './walk.js'
import { computeParts } from '../cache/fingerprint.js'

const base = mkdtempSync(join(tmpdir(), 'mlci-hash-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let n = 0

function tree(files: Record<string, string>): string {
  const dir = join(base, `t${n++}`)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

/** Backdate a file so its stat-cache row is no longer "racy". */
function age(path: string): void {
  const old = new Date(Date.now() - 60_000)
  utimesSync(path, old, old)
}

describe('hashFile', () => {
  it('streams big files to the same hash as hashing the bytes at once', async () => {
    const dir = tree({})
    mkdirSync(dir, { recursive: true })
    const big = Buffer.alloc(70 * 1024 * 1024 + 123) // spans many chunks and a yield
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251
    writeFileSync(join(dir, 'big.bin'), big)
    const streamed = await hashFile(join(dir, 'big.bin'))
    expect(streamed).toBe(hashBytes(big))
    big[big.length - 1] ^= 1
    expect(hashBytes(big)).not.toBe(streamed)
    expect(streamed).toMatch(/^[0-9a-f]{16}$/)
  })

  it('stops a big file when the signal aborts', async () => {
    const dir = tree({})
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(80 * 1024 * 1024))
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expect(hashFile(join(dir, 'big.bin'), controller.signal)).rejects.toThrow('stop')
  })
})

describe('stableJson', () => {
  it('ignores key order and spells non-JSON values stably', () => {
    expect(stableJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(stableJson({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }))
    expect(stableJson({ f: 10n, r: /a/g, n: NaN })).toBe('{"f":"10n","n":"NaN","r":"regexp:/a/g"}')
    expect(stableJson({ lr: 0.1 })).not.toBe(stableJson({ lr: 0.2 }))
  })
})

describe('findFiles', () => {
  const dir = tree({
    'train.py': 'x', 'data/a.csv': 'a', 'data/sub/b.csv': 'b', 'data/notes.txt': 'n',
    'out/model.json': 'm', 'node_modules/p/index.js': 'p', '.git/HEAD': 'h', 'src/__pycache__/x.pyc': 'c',
    'src/pkg/mod.py': 'm', '.hidden.py': 'h',
  })
  const rel = (patterns: string[], exclude: string[] = []) =>
    findFiles({ cwd: dir, patterns, exclude: exclude.map((e) => join(dir, e)) }).map((f) => relative(dir, f.path)).sort()

  it('treats a folder name as everything in it and supports globs and !excludes', () => {
    expect(rel(['data'])).toEqual(['data/a.csv', 'data/notes.txt', 'data/sub/b.csv'])
    expect(rel(['data/**/*.csv'])).toEqual(['data/a.csv', 'data/sub/b.csv'])
    expect(rel(['data/', '!data/notes.txt'])).toEqual(['data/a.csv', 'data/sub/b.csv'])
    expect(rel(['train.py', 'missing.py'])).toEqual(['train.py'])
  })

  it('never descends into VCS, dependency, cache or excluded output folders', () => {
    const all = rel(['**'], ['out'])
    expect(all).toEqual(['.hidden.py', 'data/a.csv', 'data/notes.txt', 'data/sub/b.csv', 'src/pkg/mod.py', 'train.py'])
    expect(rel(['**/*.py'])).toEqual(['.hidden.py', 'src/pkg/mod.py', 'train.py'])
  })

  it('leaves out an excluded output inside a folder the globs cover wholly, at any depth', () => {
    expect(rel(['data'], ['data/notes.txt'])).toEqual(['data/a.csv', 'data/sub/b.csv'])
    expect(rel(['**'], ['data/sub/b.csv', 'out'])).toEqual(['.hidden.py', 'data/a.csv', 'data/notes.txt', 'src/pkg/mod.py', 'train.py'])
  })

  it('keys every input by its project path, whatever the declaration cwd (the stat cache and --explain use it)', async () => {
    const parts = await computeParts({
      root: dir, declarations: [{ phase: 'train', plugin: 'p', inputs: ['../data/*.csv', 'pkg'], cwd: 'src' }, { phase: 'train', plugin: 'q', inputs: ['data/**'] }],
      pluginVersions: new Map(), coreVersion: '0', env: {}, envKey: 'k', upstream: {}, statCache: StatCache.load(join(dir, 'none.json')),
    })
    expect([...parts.files.keys()].sort()).toEqual(['data/a.csv', 'data/notes.txt', 'data/sub/b.csv', 'src/pkg/mod.py'])
  })

  it('resolves globs against cwd, including paths above it', () => {
    const found = findFiles({ cwd: join(dir, 'src'), patterns: ['../data/*.csv', 'pkg'] }).map((f) => relative(dir, f.path)).sort()
    expect(found).toEqual(['data/a.csv', 'src/pkg/mod.py'])
  })
})

describe('StatCache', () => {
  it('knows nothing of a file named like an Object property (constructor, toString) until it is hashed', async () => {
    const dir = tree({ constructor: 'c', toString: 't' })
    for (const name of ['constructor', 'toString']) age(join(dir, name))
    const cache = StatCache.load(join(dir, 'stat-cache.bin'))
    expect(cache.lookup('constructor', statSync(join(dir, 'constructor')))).toBeUndefined()
    const hash = await cache.hash('toString', join(dir, 'toString'), statSync(join(dir, 'toString')))
    cache.save()
    const reloaded = StatCache.load(join(dir, 'stat-cache.bin'))
    expect(reloaded.lookup('constructor', statSync(join(dir, 'constructor')))).toBeUndefined()
    expect(reloaded.lookup('toString', statSync(join(dir, 'toString')))).toBe(hash)
  })

  it('re-reads a file only when its stat changed, and survives a reload', async () => {
    const dir = tree({ 'a.txt': 'one' })
    const file = join(dir, 'a.txt')
    age(file)
    const cacheFile = join(dir, 'stat-cache.bin')
    const cache = StatCache.load(cacheFile)
    const first = await cache.hash('a.txt', file, statSync(file))
    expect(cache.lookup('a.txt', statSync(file))).toBe(first)
    cache.save()
    const reloaded = StatCache.load(cacheFile)
    expect(reloaded.lookup('a.txt', statSync(file))).toBe(first)
    writeFileSync(file, 'two') // same size, new content
    age(file)
    expect(reloaded.lookup('a.txt', statSync(file))).toBeUndefined()
    const second = await reloaded.hash('a.txt', file, statSync(file))
    expect(second).not.toBe(first)
    expect(second).toBe(hashBytes('two'))
  })

  it('does not trust a row for a file modified just before it was hashed (racy)', async () => {
    const dir = tree({ 'a.txt': 'one' })
    const file = join(dir, 'a.txt')
    const cache = StatCache.load(join(dir, 'stat-cache.bin'))
    await cache.hash('a.txt', file, statSync(file))
    expect(cache.lookup('a.txt', statSync(file))).toBeUndefined()
  })

  it('starts empty from a torn or foreign file', async () => {
    const dir = tree({ 'a.txt': 'one', 'stat.json': '{"schema":1,"rows":{"a.txt":[3,2,3,4,"0123456789abcdef",5]}}' })
    const file = join(dir, 'a.txt')
    age(file)
    const cacheFile = join(dir, 'stat-cache.bin')
    const cache = StatCache.load(cacheFile)
    await cache.hash('a.txt', file, statSync(file))
    expect(cache.save()).toBe(true)
    expect(cache.save()).toBe(false) // nothing changed since
    const whole = readFileSync(cacheFile)
    expect(StatCache.load(cacheFile).size).toBe(1)
    for (const broken of [whole.subarray(0, whole.length - 1), whole.subarray(0, 10), Buffer.alloc(whole.length), Buffer.concat([whole, Buffer.from('x')])]) {
      writeFileSync(cacheFile, broken)
      expect(StatCache.load(cacheFile).size).toBe(0)
    }
    expect(StatCache.load(join(dir, 'stat.json')).size).toBe(0) // the JSON form of earlier versions
  })

  it('keeps rows across saves, forgets on request, and leaves out keys it cannot store', async () => {
    const dir = tree({ 'a.txt': 'one', 'b.txt': 'two', 'c.txt': 'six' })
    for (const f of ['a.txt', 'b.txt', 'c.txt']) age(join(dir, f))
    const cacheFile = join(dir, 'stat-cache.bin')
    const cache = StatCache.load(cacheFile)
    const hashes = await Promise.all(['a.txt', 'b.txt', 'c.txt'].map((f) => cache.hash(f, join(dir, f), statSync(join(dir, f)))))
    cache.remember('bad\0key', statSync(join(dir, 'a.txt')), hashes[0], Date.now())
    cache.forget('b.txt')
    cache.save()
    const reloaded = StatCache.load(cacheFile)
    expect(reloaded.keys()).toEqual(['a.txt', 'c.txt'])
    expect(reloaded.lookup('c.txt', statSync(join(dir, 'c.txt')))).toBe(hashes[2])
    // A row rewritten after loading, then saved again: the new hash is the one kept.
    writeFileSync(join(dir, 'a.txt'), 'ten')
    age(join(dir, 'a.txt'))
    const changed = await reloaded.hash('a.txt', join(dir, 'a.txt'), statSync(join(dir, 'a.txt')))
    expect(changed).toBe(hashBytes('ten'))
    reloaded.save()
    const again = StatCache.load(cacheFile)
    expect(again.lookup('a.txt', statSync(join(dir, 'a.txt')))).toBe(changed)
    expect(again.lookup('c.txt', statSync(join(dir, 'c.txt')))).toBe(hashes[2])
  })

  it('answers lookups in any order, after forgetting and re-adding keys, as in stored order', async () => {
    const names = ['a.txt', 'b.txt', 'c.txt', 'd.txt']
    const dir = tree(Object.fromEntries(names.map((f, i) => [f, `content ${i}`])))
    for (const f of names) age(join(dir, f))
    const cacheFile = join(dir, 'stat-cache.bin')
    const first = StatCache.load(cacheFile)
    for (const f of names) await first.hash(f, join(dir, f), statSync(join(dir, f)))
    first.save()
    const stat = (f: string) => statSync(join(dir, f))
    const expected = (f: string) => hashBytes(`content ${names.indexOf(f)}`)
    // Stored order, then out of order, then a name never stored, then stored order again.
    const cache = StatCache.load(cacheFile)
    for (const f of ['a.txt', 'b.txt', 'd.txt', 'a.txt', 'c.txt', 'nope.txt', 'b.txt', 'c.txt', 'd.txt']) {
      expect(cache.lookup(f, stat(f === 'nope.txt' ? 'a.txt' : f)), f).toBe(f === 'nope.txt' ? undefined : expected(f))
    }
    // A forgotten key is unknown even where the next stored row is its own.
    const forgetting = StatCache.load(cacheFile)
    expect(forgetting.lookup('a.txt', stat('a.txt'))).toBe(expected('a.txt'))
    forgetting.forget('b.txt')
    expect(forgetting.lookup('b.txt', stat('b.txt'))).toBeUndefined()
    expect(forgetting.lookup('c.txt', stat('c.txt'))).toBe(expected('c.txt'))
    // Re-added with a new content, it is found by its new row, in order or not.
    writeFileSync(join(dir, 'b.txt'), 'content new')
    age(join(dir, 'b.txt'))
    await forgetting.hash('b.txt', join(dir, 'b.txt'), stat('b.txt'))
    expect(forgetting.lookup('b.txt', stat('b.txt'))).toBe(hashBytes('content new'))
    expect(forgetting.keys()).toEqual(['a.txt', 'c.txt', 'd.txt', 'b.txt'])
    // A lookup with another stat never answers, wherever the cursor is.
    const other = StatCache.load(cacheFile)
    expect(other.lookup('a.txt', { ...stat('a.txt'), size: 1 })).toBeUndefined()
    expect(other.lookup('b.txt', stat('b.txt'))).toBeUndefined() // rewritten since that file was saved
    expect(other.lookup('c.txt', stat('c.txt'))).toBe(expected('c.txt'))
  })
})
