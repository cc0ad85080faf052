import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { writeJsonAtomic } from '../atomic.js'
import type { ContentHash } from '../hash/content-hash.js'
import type { LogEntry } from '../logger.js'
import type { Digest } from '../store/content-store.js'
import type { FingerprintParts } from './fingerprint.js'

export const ENTRY_SCHEMA = 1

/** One output file of a cached phase: its blob in the content store and its fast hash. */
export interface OutputRecord {
  /** Relative to the project root, `/`-separated. */
  path: string
  digest: Digest
  /** XXH3 of the content: compared with the file on disk to skip identical restores. */
  hash: ContentHash
  size: number
  mode: number
}

/** A cached run of one phase. Written (atomically) only after every blob it names is stored. */
export interface CacheEntry {
  schema: typeof ENTRY_SCHEMA
  phase: string
  fingerprint: string
  createdAt: string
  outputs: OutputRecord[]
  /** Declared output folders (restored even when empty). */
  dirs: string[]
  /** Sum of the output sizes. */
  size: number
  data: Record<string, unknown>
  log: LogEntry[]
}

/** An entry as listed from disk: its file's mtime is its last use (LRU). */
export interface EntryListing {
  phase: string
  fingerprint: string
  file: string
  lastUsed: number
  bytes: number
}

const FINGERPRINT = /^[0-9a-f]{16,64}$/
const ENTRY_SUFFIX = '.json'
const PARTS_SUFFIX = '.parts.json'

function isOutputRecord(value: unknown): value is OutputRecord {
  const o = value as OutputRecord
  return typeof o === 'object' && o !== null && typeof o.path === 'string' && typeof o.digest === 'string'
    && typeof o.hash === 'string' && typeof o.size === 'number' && typeof o.mode === 'number'
}

/**
 * Entries under `.mlci/cache/entries/<phase>/<fingerprint>.json`, each with the fingerprint
 * parts beside it (`.parts.json`, written first) for `--explain`. Anything else in those folders
 * (a temp file left by a crash, a foreign file) is ignored and removed by `mlci cache gc`.
 */
export class EntryStore {
  constructor(readonly dir: string) {}

  entryFile(phase: string, fingerprint: string): string {
    return join(this.dir, phase, `${fingerprint}${ENTRY_SUFFIX}`)
  }

  partsFile(phase: string, fingerprint: string): string {
    return join(this.dir, phase, `${fingerprint}${PARTS_SUFFIX}`)
  }

  /** The entry, or undefined when absent; 'invalid' when present but unreadable or inconsistent. */
  async read(phase: string, fingerprint: string): Promise<CacheEntry | 'invalid' | undefined> {
    let text: string
    try {
      text = await readFile(this.entryFile(phase, fingerprint), 'utf8')
    } catch {
      return undefined
    }
    try {
      const entry = JSON.parse(text) as CacheEntry
      const ok = entry.schema === ENTRY_SCHEMA && entry.phase === phase && entry.fingerprint === fingerprint
        && Array.isArray(entry.outputs) && entry.outputs.every(isOutputRecord) && Array.isArray(entry.dirs)
        && typeof entry.data === 'object' && entry.data !== null && Array.isArray(entry.log)
      return ok ? entry : 'invalid'
    } catch {
      return 'invalid'
    }
  }

  async readParts(phase: string, fingerprint: string): Promise<FingerprintParts | undefined> {
    try {
      const parts = JSON.parse(await readFile(this.partsFile(phase, fingerprint), 'utf8')) as FingerprintParts
      return parts.schema === 1 && typeof parts.files === 'object' ? parts : undefined
    } catch {
      return undefined
    }
  }

  /** Parts first, entry last: the entry's existence is what makes it valid. */
  async write(entry: CacheEntry, parts: FingerprintParts): Promise<void> {
    await writeJsonAtomic(this.partsFile(entry.phase, entry.fingerprint), parts)
    await writeJsonAtomic(this.entryFile(entry.phase, entry.fingerprint), entry)
  }

  /** Mark as used now (LRU order is the entry file's mtime). */
  async touch(phase: string, fingerprint: string): Promise<void> {
    const now = new Date()
    await utimes(this.entryFile(phase, fingerprint), now, now).catch(() => undefined)
  }

  async remove(phase: string, fingerprint: string): Promise<void> {
    await rm(this.entryFile(phase, fingerprint), { force: true })
    await rm(this.partsFile(phase, fingerprint), { force: true })
  }

  /** Every entry file (not its contents), optionally of one phase. */
  async list(phase?: string): Promise<EntryListing[]> {
    const phases = phase ? [phase] : await readdir(this.dir).catch(() => [] as string[])
    const out: EntryListing[] = []
    for (const p of phases) {
      const names = await readdir(join(this.dir, p)).catch(() => [] as string[])
      for (const name of names) {
        if (!name.endsWith(ENTRY_SUFFIX) || name.endsWith(PARTS_SUFFIX)) continue
        const fingerprint = name.slice(0, -ENTRY_SUFFIX.length)
        if (!FINGERPRINT.test(fingerprint)) continue
        const file = join(this.dir, p, name)
        const s = await stat(file).catch(() => undefined)
        if (s?.isFile()) out.push({ phase: p, fingerprint, file, lastUsed: s.mtimeMs, bytes: s.size })
      }
    }
    return out
  }

  /** The phase's most recently used entry: the baseline `--explain` compares against. */
  async latest(phase: string): Promise<EntryListing | undefined> {
    const all = await this.list(phase)
    return all.sort((a, b) => b.lastUsed - a.lastUsed)[0]
  }
}
