import { isUnder } from '../contain.js'
import { sep } from 'node:path'

/**
 * Path and glob rules shared by the phase cache (what is an input) and watch mode (what wakes a
 * cycle), so the two can never disagree.
 */

/** Tool state, VCS data, dependencies and caches: never an input, never watched. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules', '.mlci', '__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache'])

export const MATCH_OPTIONS = { dot: true }

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/')
}

/** `path` is `dir` or below it. */
export function isWithin(path: string, dir: string): boolean {
  return isUnder(path, dir)
}

/** A relative path that climbs out of its base: `..` or `../…` (not a name like `..cache`). */
export function escapes(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`)
}

/** A glob may name a folder (`data`, `out/`): it then matches everything under it too. */
export function expandGlob(glob: string): string[] {
  const trimmed = glob.replace(/\/+$/, '') || '.'
  return trimmed === '.' ? ['**'] : [trimmed, `${trimmed}/**`]
}
