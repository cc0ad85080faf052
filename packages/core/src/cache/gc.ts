import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { StatCache } from '../hash/stat-cache.js'
import { ContentStore, type Digest } from '../store/content-store.js'
import { EntryStore, type CacheEntry, type EntryListing } from './entries.js'
import { cacheLayout } from './layout.js'

/**
 * State folders whose files may name blobs of the shared content store (the model registry
 * keeps version artifacts there; the journal names what a release step is about to use).
 * A blob named anywhere in them is never removed by the cache.
 */
export const REFERENCING_DIRS = ['registry'] as const
/** The journal (and its rotated copy) are files at the top of the state folder. */
export const REFERENCING_FILES = ['journal.jsonl', 'journal.jsonl.1'] as const
const DIGEST = /sha256:[0-9a-f]{64}/g
// Temp files younger than this may belong to a write in progress.
const TMP_GRACE_MS = 10 * 60_000

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

/**
 * Every `sha256:` digest named in the registry and journal. Throws when a file there cannot be
 * read: deleting blobs without knowing what the registry needs could lose a released model.
 */
export async function stateReferences(stateDir: string): Promise<Set<Digest>> {
  const refs = new Set<Digest>()
  const files = [
    ...(await Promise.all(REFERENCING_DIRS.map((sub) => filesUnder(join(stateDir, sub))))).flat(),
    ...REFERENCING_FILES.map((name) => join(stateDir, name)),
  ]
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return ''
      throw error
    })
    for (const match of text.matchAll(DIGEST)) refs.add(match[0])
  }
  return refs
}

async function bytesUnder(dir: string): Promise<number> {
  let bytes = 0
  for (const file of await filesUnder(dir)) bytes += await stat(file).then((s) => s.size, () => 0)
  return bytes
}

interface LoadedEntry extends EntryListing {
  entry: CacheEntry | undefined
  partsBytes: number
}

async function loadEntries(entries: EntryStore): Promise<LoadedEntry[]> {
  const out: LoadedEntry[] = []
  for (const listing of await entries.list()) {
    const entry = await entries.read(listing.phase, listing.fingerprint)
    const partsBytes = await stat(entries.partsFile(listing.phase, listing.fingerprint)).then((s) => s.size, () => 0)
    out.push({ ...listing, entry: typeof entry === 'object' ? entry : undefined, partsBytes })
  }
  return out
}

/**
 * The bytes the cache alone holds: entry files, plus each blob an entry names once (blobs the
 * registry also names belong to the registry and are never freed by the cache).
 */
function cacheBytes(loaded: LoadedEntry[], state: Set<Digest>): number {
  const blobs = new Map<Digest, number>()
  let bytes = 0
  for (const l of loaded) {
    bytes += l.bytes + l.partsBytes
    for (const o of l.entry?.outputs ?? []) if (!state.has(o.digest)) blobs.set(o.digest, o.size)
  }
  for (const size of blobs.values()) bytes += size
  return bytes
}

export interface EvictionReport {
  evicted: { phase: string; fingerprint: string }[]
  removedBlobs: number
  bytesBefore: number
  bytesAfter: number
}

/**
 * Least-recently-used eviction down to `maxBytes`, then removal of the blobs no remaining entry
 * nor the registry names. `keep` (entry files) is never evicted: the entry a build just wrote.
 * Unreadable entries are evicted first.
 */
export async function evictToLimit(stateDir: string, maxBytes: number, keep: ReadonlySet<string> = new Set()): Promise<EvictionReport> {
  const layout = cacheLayout(stateDir)
  // Every entry file plus every blob bounds the cache's size from above: when that fits, skip
  // reading the entries and the registry (the usual case after a build).
  const upperBound = await bytesUnder(layout.entries) + await bytesUnder(join(layout.objects, 'sha256'))
  if (upperBound <= maxBytes) return { evicted: [], removedBlobs: 0, bytesBefore: upperBound, bytesAfter: upperBound }
  const entries = new EntryStore(layout.entries)
  const store = new ContentStore(layout.objects)
  const state = await stateReferences(stateDir)
  const loaded = await loadEntries(entries)
  const bytesBefore = cacheBytes(loaded, state)
  const order = [...loaded].sort((a, b) => Number(Boolean(a.entry)) - Number(Boolean(b.entry)) || a.lastUsed - b.lastUsed)
  const remaining = new Set(loaded)
  const evicted: LoadedEntry[] = []
  let bytes = bytesBefore
  for (const candidate of order) {
    if (candidate.entry && bytes <= maxBytes) break
    if (keep.has(candidate.file)) continue
    remaining.delete(candidate)
    evicted.push(candidate)
    await entries.remove(candidate.phase, candidate.fingerprint)
    bytes = cacheBytes([...remaining], state)
  }
  const stillNamed = new Set([...remaining].flatMap((l) => l.entry?.outputs.map((o) => o.digest) ?? []))
  let removedBlobs = 0
  for (const digest of new Set(evicted.flatMap((l) => l.entry?.outputs.map((o) => o.digest) ?? []))) {
    if (stillNamed.has(digest) || state.has(digest)) continue
    await store.remove(digest)
    removedBlobs++
  }
  return { evicted: evicted.map((l) => ({ phase: l.phase, fingerprint: l.fingerprint })), removedBlobs, bytesBefore, bytesAfter: bytes }
}

async function removeStaleTemps(dir: string, isTemp: (file: string) => boolean): Promise<number> {
  let removed = 0
  for (const file of await filesUnder(dir)) {
    if (!isTemp(file)) continue
    const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0)
    if (age < TMP_GRACE_MS) continue
    await rm(file, { force: true })
    removed++
  }
  return removed
}

export interface GcReport extends EvictionReport {
  /** Blobs no cache entry, registry version or journal step names. */
  unreferencedBlobs: number
  freedBlobBytes: number
  staleTemps: number
  orphanParts: number
  prunedStatRows: number
}

/**
 * `mlci cache gc`: evict to the size limit, remove blobs nothing names, temp files left by
 * crashes, fingerprint parts without an entry, and stat-cache rows of files that are gone.
 * Run under the repo lock: a build writing blobs at the same time would lose them.
 */
export async function collectGarbage(stateDir: string, maxBytes: number): Promise<GcReport> {
  const layout = cacheLayout(stateDir)
  const eviction = await evictToLimit(stateDir, maxBytes)
  const entries = new EntryStore(layout.entries)
  const state = await stateReferences(stateDir)
  const loaded = await loadEntries(entries)
  const named = new Set([...state, ...loaded.flatMap((l) => l.entry?.outputs.map((o) => o.digest) ?? [])])
  let unreferencedBlobs = 0
  let freedBlobBytes = 0
  for (const file of await filesUnder(join(layout.objects, 'sha256'))) {
    const parts = file.split(/[\\/]/)
    const digest = `sha256:${parts[parts.length - 2]}${parts[parts.length - 1]}`
    if (!/^sha256:[0-9a-f]{64}$/.test(digest) || named.has(digest)) continue
    freedBlobBytes += await stat(file).then((s) => s.size, () => 0)
    await rm(file, { force: true })
    unreferencedBlobs++
  }
  const staleTemps = await removeStaleTemps(join(layout.objects, 'tmp'), () => true)
    + await removeStaleTemps(layout.entries, (f) => f.endsWith('.tmp'))
  let orphanParts = 0
  const withEntry = new Set(loaded.map((l) => entries.partsFile(l.phase, l.fingerprint)))
  for (const file of await filesUnder(layout.entries)) {
    if (file.endsWith('.parts.json') && !withEntry.has(file)) {
      await rm(file, { force: true })
      orphanParts++
    }
  }
  const statCache = StatCache.load(layout.statFile)
  let prunedStatRows = 0
  const root = join(stateDir, '..')
  for (const key of [...statCache.keys()]) {
    if (!(await stat(join(root, key)).then((s) => s.isFile(), () => false))) {
      statCache.forget(key)
      prunedStatRows++
    }
  }
  statCache.save()
  return { ...eviction, unreferencedBlobs, freedBlobBytes, staleTemps, orphanParts, prunedStatRows }
}

export interface ClearReport {
  entries: number
  removedBlobs: number
  keptBlobs: number
}

/** `mlci cache clear`: every entry, the stat cache and every blob the registry does not name. */
export async function clearCache(stateDir: string): Promise<ClearReport> {
  const layout = cacheLayout(stateDir)
  const state = await stateReferences(stateDir)
  const entries = (await new EntryStore(layout.entries).list()).length
  await rm(layout.dir, { recursive: true, force: true })
  let removedBlobs = 0
  let keptBlobs = 0
  for (const file of await filesUnder(join(layout.objects, 'sha256'))) {
    const parts = file.split(/[\\/]/)
    if (state.has(`sha256:${parts[parts.length - 2]}${parts[parts.length - 1]}`)) {
      keptBlobs++
      continue
    }
    await rm(file, { force: true })
    removedBlobs++
  }
  return { entries, removedBlobs, keptBlobs }
}

export interface CacheStatus {
  entries: { phase: string; fingerprint: string; lastUsed: string; outputs: number; size: number; valid: boolean }[]
  /** Bytes the cache alone holds (see evictToLimit). */
  bytes: number
  maxBytes: number
  blobs: { count: number; bytes: number }
}

export async function cacheStatus(stateDir: string, maxBytes: number): Promise<CacheStatus> {
  const layout = cacheLayout(stateDir)
  const state = await stateReferences(stateDir)
  const loaded = await loadEntries(new EntryStore(layout.entries))
  let count = 0
  let blobBytes = 0
  for (const file of await filesUnder(join(layout.objects, 'sha256'))) {
    count++
    blobBytes += await stat(file).then((s) => s.size, () => 0)
  }
  return {
    entries: loaded.sort((a, b) => b.lastUsed - a.lastUsed).map((l) => ({
      phase: l.phase, fingerprint: l.fingerprint, lastUsed: new Date(l.lastUsed).toISOString(),
      outputs: l.entry?.outputs.length ?? 0, size: l.entry?.size ?? 0, valid: Boolean(l.entry),
    })),
    bytes: cacheBytes(loaded, state),
    maxBytes,
    blobs: { count, bytes: blobBytes },
  }
}
