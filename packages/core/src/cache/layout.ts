import { join } from 'node:path'

/** Where the phase cache keeps its state under `.mlci/`. */
export interface CacheLayout {
  /** `.mlci/cache` */
  dir: string
  /** Entries and their fingerprint parts, one folder per phase. */
  entries: string
  /** path → stat + content hash (stat-cache.ts). */
  statFile: string
  /** Where the stat cache was kept as JSON before; removed when the new one is first written. */
  legacyStatFile: string
  /** Secret key for env value hashes. */
  keyFile: string
  /** The content store's folder (shared with the model registry). */
  objects: string
}

export const DEFAULT_MAX_SIZE_MB = 2048

export function cacheLayout(stateDir: string): CacheLayout {
  const dir = join(stateDir, 'cache')
  return { dir, entries: join(dir, 'entries'), statFile: join(dir, 'stat-cache.bin'), legacyStatFile: join(dir, 'stat.json'), keyFile: join(dir, 'env-key'), objects: join(stateDir, 'objects') }
}
