import { readdirSync, statSync, type Stats } from 'node:fs'
import type { FileStamp } from './stat-cache.js'
import { relative, resolve, sep } from 'node:path'
import picomatch from 'picomatch'
import { SKIPPED_DIRS, compileGlobs, expandGlob, isWithin, toPosix } from './paths.js'

export { SKIPPED_DIRS } from './paths.js'

export interface FoundFile {
  /** Absolute path. */
  path: string
  stats: FileStamp
}

export interface FindFilesOptions {
  /** Globs are relative to this folder. */
  cwd: string
  /** Globs (`data/**`, `*.py`); a folder name matches everything under it; `!glob` excludes. */
  patterns: readonly string[]
  /** Absolute files or folders left out (a phase's own outputs). */
  exclude?: readonly string[]
}


// One options object for every stat call of a walk, not one per file.
const NO_THROW = { throwIfNoEntry: false } as const

/**
 * Call `onFile` for each file matching `patterns`, in walk order, with its path relative to
 * `cwd` (POSIX) and its stats. Walks only from each glob's static base, synchronously: at
 * 10,000 files the stat calls are most of the cost of re-checking an unchanged tree, and sync
 * calls are several times faster than a promise per file here. `onFile` should keep only what
 * it needs from the Stats object: retaining thousands of them (with their Date fields) made
 * garbage collection cost as much as the stat calls themselves.
 */
export function walkFiles(options: FindFilesOptions, onFile: (path: string, rel: string, stats: Stats) => void): void {
  const cwd = resolve(options.cwd)
  const positive = options.patterns.filter((g) => !g.startsWith('!'))
  const negative = options.patterns.filter((g) => g.startsWith('!')).map((g) => g.slice(1))
  if (!positive.length) return
  const include = compileGlobs(positive.flatMap(expandGlob))
  const excludeGlob = negative.length ? compileGlobs(negative.flatMap(expandGlob)) : undefined
  // Prefix checks: this runs for every file and folder of the tree, and path.relative() per
  // call costs about 10× a string comparison.
  const excluded = (options.exclude ?? []).map((p) => resolve(p))
  const excludedPrefixes = excluded.map((e) => (e.endsWith(sep) ? e : e + sep))
  const isExcluded = (abs: string) => excluded.length > 0 && excluded.some((e, i) => abs === e || abs.startsWith(excludedPrefixes[i]))

  // Walk each static base once; a base inside another base is covered by the outer walk, so
  // no file is reported twice.
  const bases = [...new Set(positive.map((g) => resolve(cwd, picomatch.scan(g.replace(/\/+$/, '') || '.').base || '.')))]
  const roots = bases.filter((b) => !bases.some((o) => o !== b && isWithin(b, o)))

  const wanted = (abs: string, rel: string) => include(rel) && !excludeGlob?.(rel) && !isExcluded(abs)
  const visit = (dir: string, rel: string) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return // vanished or unreadable: it has no inputs we can hash
    }
    // Decided once per folder, not per file: in a folder the globs cover wholly (`data/**`), with
    // no `!glob` and no excluded output inside, every file is wanted. At 10,000 files the
    // per-file tests cost about as much as the stat calls.
    const prefix = dir + sep
    const all = !excludeGlob && include.covers(rel) && !excluded.some((e) => e.startsWith(prefix))
    for (const entry of entries) {
      const name = entry.name
      const abs = prefix + name
      const childRel = rel ? `${rel}/${name}` : name
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(name) && !isExcluded(abs)) visit(abs, childRel)
      } else if ((entry.isFile() || entry.isSymbolicLink()) && (all || wanted(abs, childRel))) {
        // Match first, stat after. Symlinks count by their target's content; links to folders
        // are not followed (cycles).
        const stats = statSync(abs, NO_THROW)
        if (stats?.isFile()) onFile(abs, childRel, stats)
      }
    }
  }
  for (const root of roots) {
    const rel = toPosix(relative(cwd, root))
    if (rel.split('/').some((s) => SKIPPED_DIRS.has(s))) continue
    const stats = statSync(root, { throwIfNoEntry: false })
    if (stats?.isDirectory()) {
      if (!isExcluded(root)) visit(root, rel)
    } else if (stats?.isFile() && wanted(root, rel)) onFile(root, rel, stats)
  }
}

/** The files matching `patterns` with their stamps, in walk order. */
export function findFiles(options: FindFilesOptions): FoundFile[] {
  const found: FoundFile[] = []
  walkFiles(options, (path, _rel, stats) => found.push({ path, stats: { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, ctimeMs: stats.ctimeMs } }))
  return found
}
