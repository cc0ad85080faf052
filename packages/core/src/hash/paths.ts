import { isUnder } from '../contain.js'
import { sep } from 'node:path'
import picomatch from 'picomatch'

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

/** A path with no glob syntax, no empty, `.` or `..` segment: picomatch matches it literally. */
const LITERAL = /^[A-Za-z0-9_.\- ]+(?:\/[A-Za-z0-9_.\- ]+)*$/
const literal = (path: string) => LITERAL.test(path) && !path.split('/').some((s) => s === '.' || s === '..')

/** A compiled set of globs: a test per path, and one per folder (see `covers`). */
export interface GlobMatcher {
  (rel: string): boolean
  /**
   * True when every path below the folder `dirRel` matches (`**`, or a `dir/**` glob above it):
   * the walk then takes every file of that folder without testing each one. False means only
   * "test each file", never "none match".
   */
  covers(dirRel: string): boolean
}

/**
 * One matcher for already expanded globs (relative POSIX paths in, as picomatch with
 * MATCH_OPTIONS). The shapes declared inputs mostly take (everything, a folder and all below
 * it, files with one extension anywhere, literal paths) are answered by string comparisons;
 * only the rest goes through picomatch. At 10,000 files a picomatch regex per file cost as much
 * as the stat calls.
 */
export function compileGlobs(globs: readonly string[]): GlobMatcher {
  let everything = false
  const exact = new Set<string>()
  const under: string[] = []
  const suffixes: string[] = []
  const others: string[] = []
  for (const glob of globs) {
    const base = glob.replace(/(?:\/\*\*)+$/, '')
    if (glob === '**' || /^\*\*(?:\/\*\*)*$/.test(glob)) everything = true
    else if (base !== glob && literal(base)) {
      under.push(`${base}/`) // dir/**: the folder itself and everything below it
      exact.add(base)
    }
    else if (literal(glob)) exact.add(glob)
    else if (/^\*\*\/\*[A-Za-z0-9_.\-]*$/.test(glob)) suffixes.push(glob.slice(4)) // **/*.py: any file ending .py
    else others.push(glob)
  }
  const slow = others.length ? picomatch(others, MATCH_OPTIONS) : undefined
  if (everything) return Object.assign(() => true, { covers: () => true })
  const match = (rel: string) => exact.has(rel) || under.some((prefix) => rel.startsWith(prefix)) || suffixes.some((end) => rel.endsWith(end)) ||
    (slow !== undefined && slow(rel))
  return Object.assign(match, { covers: (dirRel: string) => under.some((prefix) => `${dirRel}/`.startsWith(prefix)) })
}
