import { readFileSync } from 'node:fs'
import { writeFileAtomicSync } from '../atomic.js'
import { hashFile, type ContentHash } from './content-hash.js'

/** The part of a file's stat that says whether its content may have changed (fs.Stats fits). */
export interface FileStamp {
  size: number
  mtimeMs: number
  ino: number
  ctimeMs: number
}

// A file modified within this long before it was hashed may change again without its mtime
// moving (coarse filesystem timestamps, git's "racily clean" problem): such a row is not
// trusted, and the file is hashed again next time, when the window has passed.
const RACY_MS = 2000

// The file: a 16-byte header (magic, schema, rows, key bytes as 32-bit numbers in this
// machine's byte order: a file from a machine of the other order does not match and is
// dropped), then per row five float64 numbers (size, mtimeMs, ino, ctimeMs, hashedAt), then
// every row's 16-character hash, then the keys joined by NUL (no path contains one).
// Binary, not JSON: parsing 10,000 JSON rows (30,000 decimal fractions, 10,000 small arrays)
// was a quarter of re-checking an unchanged 10,000-file tree; this loads in a few copies.
const MAGIC = 0x43534c4d // "MLSC"
const SCHEMA = 2
const HEADER = 16
const FIELDS = 5
const HASH_CHARS = 16

/**
 * Remembers each file's content hash beside its stat (size, mtime, inode, ctime), so a file
 * whose stat did not change is never read again. Keys are caller-chosen (paths relative to the
 * project root). It is only a cache: a missing, unreadable or foreign file starts empty, and
 * it is written without fsync (a torn write fails the length check and is dropped).
 */
export class StatCache {
  /**
   * Key → row number in `nums`, built on first need: a re-check looks files up in the order it
   * walks them, which is the order they were first hashed (and stored) in, so most lookups are
   * answered by `loadedKeys[cursor]` alone. Building a Map of 10,000 keys and hashing 10,000
   * fresh key strings to look them up was ~10 % of re-checking an unchanged 10,000-file tree.
   */
  private indexMap: Map<string, number> | undefined = new Map()
  /** The loaded rows' keys by row (undefined once forgotten). */
  private loadedKeys: (string | undefined)[] = []
  /** The loaded row expected to be looked up next. */
  private cursor = 0
  /** FIELDS numbers per row. */
  private nums = new Float64Array(0)
  private rows = 0
  /** The hashes of the rows as loaded (HASH_CHARS each), and those written since. */
  private loadedHashes = ''
  private readonly newHashes = new Map<number, ContentHash>()
  private dirty = false

  private constructor(readonly file: string) {}

  static load(file: string): StatCache {
    const cache = new StatCache(file)
    try {
      cache.read(readFileSync(file))
    } catch {
      // no cache yet, or unreadable: start empty
    }
    return cache
  }

  private read(buf: Buffer): void {
    if (buf.length < HEADER) return
    const [magic, schema, rows, keyBytes] = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + HEADER))
    const numsEnd = HEADER + rows * FIELDS * 8
    const hashesEnd = numsEnd + rows * HASH_CHARS
    if (magic !== MAGIC || schema !== SCHEMA || buf.length !== hashesEnd + keyBytes) return
    const keys = rows ? buf.toString('utf8', hashesEnd).split('\0') : []
    if (keys.length !== rows) return
    const nums = new Float64Array(rows * FIELDS)
    new Uint8Array(nums.buffer).set(buf.subarray(HEADER, numsEnd)) // a copy: the Buffer may not be 8-byte aligned
    // save() writes each key once. A file with a key twice (not one this class wrote) is not
    // rejected here, which would cost the Map the cursor saves: each row is still a stat and the
    // hash of the content that had it, so either row answers truly, and save() keeps one.
    this.indexMap = undefined
    this.loadedKeys = keys
    this.nums = nums
    this.rows = rows
    this.loadedHashes = buf.toString('latin1', numsEnd, hashesEnd)
  }

  private get index(): Map<string, number> {
    if (!this.indexMap) {
      const index = new Map<string, number>()
      this.loadedKeys.forEach((key, row) => {
        if (key !== undefined && !index.has(key)) index.set(key, row)
      })
      this.indexMap = index
    }
    return this.indexMap
  }

  /** The row of `key`: the expected next loaded row when it is that key, else from the index. */
  private rowOf(key: string): number | undefined {
    const cursor = this.cursor
    if (this.loadedKeys[cursor] === key) {
      this.cursor = cursor + 1
      return cursor
    }
    const row = this.index.get(key)
    if (row !== undefined) this.cursor = row + 1
    return row
  }

  get size(): number {
    return this.index.size
  }

  private hashOf(row: number): ContentHash {
    // On an unchanged tree nothing was written since loading: skip the map.
    return (this.newHashes.size ? this.newHashes.get(row) : undefined) ?? this.loadedHashes.slice(row * HASH_CHARS, (row + 1) * HASH_CHARS)
  }

  /** The remembered hash when the file's stat is unchanged and the row is not racy. */
  lookup(key: string, stats: FileStamp): ContentHash | undefined {
    const row = this.rowOf(key)
    if (row === undefined) return undefined
    const n = this.nums
    const at = row * FIELDS
    if (n[at] !== stats.size || n[at + 1] !== stats.mtimeMs || n[at + 2] !== stats.ino || n[at + 3] !== stats.ctimeMs) return undefined
    if (n[at + 4] - stats.mtimeMs < RACY_MS) return undefined
    return this.hashOf(row)
  }

  remember(key: string, stats: FileStamp, hash: ContentHash, hashedAt: number): void {
    // Not storable (a NUL in a key, a hash of another length): simply not cached.
    if (key.includes('\0') || hash.length !== HASH_CHARS) return
    let row = this.index.get(key)
    if (row === undefined) {
      row = this.rows++
      this.index.set(key, row)
      if (this.rows * FIELDS > this.nums.length) {
        const grown = new Float64Array(Math.max(64, this.nums.length * 2))
        grown.set(this.nums)
        this.nums = grown
      }
    }
    const at = row * FIELDS
    this.nums[at] = stats.size
    this.nums[at + 1] = stats.mtimeMs
    this.nums[at + 2] = stats.ino
    this.nums[at + 3] = stats.ctimeMs
    this.nums[at + 4] = hashedAt
    this.newHashes.set(row, hash)
    this.dirty = true
  }

  forget(key: string): void {
    const row = this.index.get(key)
    if (row === undefined) return
    this.index.delete(key)
    if (row < this.loadedKeys.length) this.loadedKeys[row] = undefined
    this.dirty = true
  }

  keys(): string[] {
    return [...this.index.keys()]
  }

  /** The file's content hash: from the cache when its stat is unchanged, else read and hashed. */
  async hash(key: string, path: string, stats: FileStamp, signal?: AbortSignal): Promise<ContentHash> {
    const known = this.lookup(key, stats)
    if (known !== undefined) return known
    // Take the time before reading: a write during the read then looks racy, never trusted.
    const hashedAt = Date.now()
    const hash = await hashFile(path, signal)
    this.remember(key, stats, hash, hashedAt)
    return hash
  }

  /** Write the cache if anything changed (tmp + rename, so readers never see half a file). True when written. */
  save(): boolean {
    if (!this.dirty) return false
    const keys = [...this.index.keys()]
    const nums = new Float64Array(keys.length * FIELDS)
    const hashes: string[] = []
    keys.forEach((key, i) => {
      const row = this.index.get(key)!
      for (let f = 0; f < FIELDS; f++) nums[i * FIELDS + f] = this.nums[row * FIELDS + f] // no subarray object per row
      hashes.push(this.hashOf(row))
    })
    const keyText = Buffer.from(keys.join('\0'))
    const header = new Uint32Array([MAGIC, SCHEMA, keys.length, keyText.length])
    writeFileAtomicSync(this.file, Buffer.concat([new Uint8Array(header.buffer), new Uint8Array(nums.buffer), Buffer.from(hashes.join(''), 'latin1'), keyText]))
    this.dirty = false
    return true
  }
}
