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

/** [size, mtimeMs, ino, ctimeMs, hash, hashedAt] */
type Row = [number, number, number, number, ContentHash, number]

// A file modified within this long before it was hashed may change again without its mtime
// moving (coarse filesystem timestamps, git's "racily clean" problem): such a row is not
// trusted, and the file is hashed again next time, when the window has passed.
const RACY_MS = 2000
const SCHEMA = 1

/**
 * Remembers each file's content hash beside its stat (size, mtime, inode, ctime), so a file
 * whose stat did not change is never read again. Keys are caller-chosen (paths relative to the
 * project root). It is only a cache: a missing, unreadable or foreign file starts empty, and
 * it is written without fsync (a torn write fails to parse and is dropped).
 */
export class StatCache {
  // The object straight from JSON.parse, its prototype cut so every key is a row (`constructor`
  // is a file name like any other) and a lookup is one property read: copying 10,000 rows into
  // a Map on every load cost as much as the rest of a re-check.
  private rows: Record<string, Row> = Object.create(null) as Record<string, Row>
  private dirty = false

  private constructor(readonly file: string) {}

  static load(file: string): StatCache {
    const cache = new StatCache(file)
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { schema?: number; rows?: Record<string, Row> }
      if (parsed.schema === SCHEMA && parsed.rows && typeof parsed.rows === 'object' && !Array.isArray(parsed.rows)) {
        cache.rows = Object.setPrototypeOf(parsed.rows, null) as Record<string, Row>
      }
    } catch {
      // no cache yet, or unreadable: start empty
    }
    return cache
  }

  get size(): number {
    return Object.keys(this.rows).length
  }

  /** The remembered hash when the file's stat is unchanged and the row is not racy. */
  lookup(key: string, stats: FileStamp): ContentHash | undefined {
    const row = this.rows[key]
    if (!Array.isArray(row)) return undefined
    if (row[0] !== stats.size || row[1] !== stats.mtimeMs || row[2] !== stats.ino || row[3] !== stats.ctimeMs) return undefined
    if (row[5] - stats.mtimeMs < RACY_MS) return undefined
    return row[4]
  }

  remember(key: string, stats: FileStamp, hash: ContentHash, hashedAt: number): void {
    if (key === '__proto__') return // would set the object's prototype, not a row
    this.rows[key] = [stats.size, stats.mtimeMs, stats.ino, stats.ctimeMs, hash, hashedAt]
    this.dirty = true
  }

  forget(key: string): void {
    if (!Object.hasOwn(this.rows, key)) return
    delete this.rows[key]
    this.dirty = true
  }

  keys(): string[] {
    return Object.keys(this.rows)
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

  /** Write the cache if anything changed (tmp + rename, so readers never see half a file). */
  save(): void {
    if (!this.dirty) return
    writeFileAtomicSync(this.file, JSON.stringify({ schema: SCHEMA, rows: this.rows }))
    this.dirty = false
  }
}
