import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { ErrorCode, MlciError } from '../errors.js'
import type { StatCache } from '../hash/stat-cache.js'
import { findFiles } from '../hash/walk.js'
import type { ContentStore, Digest } from '../store/content-store.js'
import type { PhaseDeclaration } from './types.js'
import type { CacheEntry, OutputRecord } from './entries.js'
import { escapes, toPosix } from '../hash/paths.js'


/** `path` relative to root, refusing anything outside it (a cache never writes outside the project). */
export function projectPath(root: string, abs: string): string {
  const rel = relative(root, abs)
  if (!rel || escapes(rel) || isAbsolute(rel)) {
    throw new MlciError(ErrorCode.USAGE, `Declared output ${abs} is outside the project root ${root}.`, {
      hint: 'Declare outputs inside the project folder so they can be cached and restored.',
    })
  }
  return toPosix(rel)
}

/**
 * Put every declared output (files, and the files of declared folders) into the content store.
 * The blob's fast hash is taken from the blob itself, so the entry records what the store holds.
 */
export async function storeOutputs(root: string, declarations: readonly PhaseDeclaration[], store: ContentStore, statCache: StatCache, signal?: AbortSignal): Promise<{ outputs: OutputRecord[]; dirs: string[] }> {
  const outputs = new Map<string, OutputRecord>()
  const dirs = new Set<string>()
  const putFile = async (abs: string) => {
    const path = projectPath(root, abs)
    if (outputs.has(path)) return
    const before = statSync(abs)
    const hashedAt = Date.now()
    const { digest, size } = await store.put(abs)
    const blob = store.path(digest)
    const hash = await statCache.hash(projectPath(root, blob), blob, statSync(blob), signal)
    // Unchanged while it was copied: the workspace file has the blob's hash, no second read.
    const after = statSync(abs)
    if (after.mtimeMs === before.mtimeMs && after.size === before.size && after.ctimeMs === before.ctimeMs) statCache.remember(path, after, hash, hashedAt)
    outputs.set(path, { path, digest, hash, size, mode: before.mode & 0o777 })
  }
  for (const d of declarations) {
    for (const output of d.outputs ?? []) {
      signal?.throwIfAborted()
      const abs = resolve(root, d.cwd ?? '.', output)
      const stats = statSync(abs, { throwIfNoEntry: false })
      if (stats?.isFile()) await putFile(abs)
      else if (stats?.isDirectory()) {
        dirs.add(projectPath(root, abs))
        for (const file of findFiles({ cwd: abs, patterns: ['**'] })) await putFile(file.path)
      }
      // A declared output the phase did not write is simply not part of its result.
    }
  }
  const sorted = [...outputs.values()].sort((a, b) => (a.path < b.path ? -1 : 1))
  return { outputs: sorted, dirs: [...dirs].sort() }
}

/** A problem with an entry's blobs, or undefined when each is present with its recorded hash. */
export async function checkBlobs(root: string, entry: CacheEntry, store: ContentStore, statCache: StatCache, signal?: AbortSignal): Promise<{ problem: string; digest: Digest } | undefined> {
  for (const output of entry.outputs) {
    const blob = store.path(output.digest)
    const stats = statSync(blob, { throwIfNoEntry: false })
    if (!stats?.isFile()) return { problem: `the stored copy of ${output.path} (${output.digest.slice(0, 19)}…) is missing`, digest: output.digest }
    const hash = await statCache.hash(projectPath(root, blob), blob, stats, signal)
    if (hash !== output.hash) return { problem: `the stored copy of ${output.path} (${output.digest.slice(0, 19)}…) is corrupt`, digest: output.digest }
  }
  return undefined
}

/** Write the entry's outputs into the project, skipping files that are already identical. */
export async function restoreOutputs(root: string, entry: CacheEntry, store: ContentStore, statCache: StatCache, signal?: AbortSignal): Promise<{ written: number; unchanged: number }> {
  let written = 0
  let unchanged = 0
  for (const dir of entry.dirs) mkdirSync(resolve(root, dir), { recursive: true })
  for (const output of entry.outputs) {
    signal?.throwIfAborted()
    const dest = resolve(root, output.path)
    projectPath(root, dest)
    const stats = statSync(dest, { throwIfNoEntry: false })
    if (stats?.isFile() && stats.size === output.size && (await statCache.hash(output.path, dest, stats, signal)) === output.hash) {
      if ((stats.mode & 0o777) !== output.mode) chmodSync(dest, output.mode)
      unchanged++
      continue
    }
    const hashedAt = Date.now()
    await store.restore(output.digest, dest) // verifies the sha256 of what it wrote
    chmodSync(dest, output.mode)
    statCache.remember(output.path, statSync(dest), output.hash, hashedAt)
    written++
  }
  return { written, unchanged }
}
