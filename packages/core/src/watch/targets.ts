import { statSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import picomatch from 'picomatch'
import { MATCH_OPTIONS, SKIPPED_DIRS, expandGlob, isWithin, toPosix } from '../hash/paths.js'
import type { PhaseDeclaration } from '../cache/types.js'
import type { PhaseName } from '../phases.js'

/** What watch never looks at: the same folders the cache never reads. */
export const ALWAYS_IGNORED: readonly string[] = [...SKIPPED_DIRS]

/**
 * Files editors write beside the one being saved: vim swap/backup files and its `4913` probe,
 * emacs `#autosave#` and `.#lock` files, `name~` backups, JetBrains safe-write temporaries, KDE
 * and GNOME save temporaries. A save is the real file's change; these never start a cycle and
 * are never named as its reason.
 */
export const EDITOR_TEMP = /^(\.#.*|#.*#|.*~|\..*\.sw[a-p]|4913|.*___jb_(tmp|old)___|\.goutputstream-.*|.*\.kate-swp|.*\.crswap)$/

export interface WatchTargetsOptions {
  /** The project root (globs without a declaration cwd are relative to it). */
  root: string
  declarations: readonly PhaseDeclaration[]
  /** Tapped phases that declared nothing: treated as reading the whole project (`**`). */
  undeclared?: readonly PhaseName[]
  /** Extra ignore globs relative to the root (config `watch.ignore`). */
  ignore?: readonly string[]
}

/** What to watch and how to read a change, derived from the phases' declarations. */
export interface WatchTargets {
  /** Existing folders to hand to the watcher (glob bases), none nested in another. */
  readonly roots: string[]
  /** A stable key: equal keys mean the watcher needs no restart after a config reload. */
  readonly key: string
  /** State, VCS, caches, any phase's declared outputs, user ignores: never a trigger. */
  isIgnored(path: string): boolean
  /** A file some phase declares as an input (and not ignored). */
  isInput(path: string): boolean
  /** A folder that may hold inputs (so the watcher must descend into it). */
  mayContainInputs(dir: string): boolean
  /** The phases whose declared inputs include one of `paths` (before following dependsOn). */
  affected(paths: Iterable<string>): Set<PhaseName>
}

interface InputMatcher {
  phase: PhaseName
  base: string
  match(path: string): boolean
}




/** A matcher for globs relative to `cwd`, taking absolute paths; `!glob` entries exclude. */
function matcherFor(cwd: string, globs: readonly string[]): (path: string) => boolean {
  const positive = globs.filter((g) => !g.startsWith('!')).flatMap(expandGlob)
  const negative = globs.filter((g) => g.startsWith('!')).flatMap((g) => expandGlob(g.slice(1)))
  if (!positive.length) return () => false
  const yes = picomatch(positive, MATCH_OPTIONS)
  const no = negative.length ? picomatch(negative, MATCH_OPTIONS) : () => false
  return (path) => {
    const rel = toPosix(relative(cwd, path))
    return rel !== '' && yes(rel) && !no(rel)
  }
}

/** The folder a glob can only match beneath (or the literal path itself). */
function baseOf(cwd: string, glob: string): string {
  const scan = picomatch.scan(glob.replace(/\/+$/, ''))
  return resolve(cwd, scan.base || '.')
}


function nearestExistingDir(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      if (statSync(p).isDirectory()) return p
    } catch {
      // keep climbing
    }
    if (dirname(p) === p) return p
  }
}

/**
 * Turn declarations into watch roots and matchers. Outputs are ignored even where an input glob
 * covers them, so a phase writing its results never retriggers itself or its upstream.
 */
export function createWatchTargets(options: WatchTargetsOptions): WatchTargets {
  const root = resolve(options.root)
  const inputs: InputMatcher[] = []
  const ignoreMatchers: ((path: string) => boolean)[] = []
  const declarations: { phase: PhaseName; cwd: string; inputs: string[]; outputs: string[] }[] = options.declarations.map((d) => ({
    phase: d.phase, cwd: resolve(root, d.cwd ?? '.'), inputs: d.inputs ?? [], outputs: d.outputs ?? [],
  }))
  for (const phase of options.undeclared ?? []) declarations.push({ phase, cwd: root, inputs: ['**'], outputs: [] })

  for (const d of declarations) {
    const positive = d.inputs.filter((g) => !g.startsWith('!'))
    if (positive.length) {
      const match = matcherFor(d.cwd, d.inputs)
      for (const glob of positive) inputs.push({ phase: d.phase, base: baseOf(d.cwd, glob), match })
    }
    if (d.outputs.length) ignoreMatchers.push(matcherFor(d.cwd, d.outputs))
  }
  if (options.ignore?.length) ignoreMatchers.push(matcherFor(root, options.ignore))
  const alwaysIgnored = new Set<string>(ALWAYS_IGNORED)

  const isIgnored = (path: string): boolean => {
    const rel = toPosix(relative(root, resolve(path)))
    const segments = rel.split('/')
    if (segments.some((segment) => alwaysIgnored.has(segment))) return true
    if (EDITOR_TEMP.test(segments[segments.length - 1])) return true
    return ignoreMatchers.some((m) => m(path))
  }
  const bases = [...new Set(inputs.map((i) => i.base))]
  // A literal input (train.py) is watched through its folder: editors replace files by rename.
  const watchDirs = bases.map((b) => nearestExistingDir(picomatch.scan(b).isGlob ? b : isDir(b) ? b : dirname(b)))
  const roots = [...new Set(watchDirs)].filter((d, _, all) => !all.some((o) => o !== d && isWithin(d, o))).sort()

  return {
    roots,
    key: JSON.stringify({ roots, decl: declarations, ignore: options.ignore ?? [] }),
    isIgnored,
    isInput: (path) => !isIgnored(path) && inputs.some((i) => i.match(path)),
    mayContainInputs: (dir) => !isIgnored(dir) && bases.some((b) => isWithin(dir, b) || isWithin(b, dir)),
    affected(paths) {
      const out = new Set<PhaseName>()
      for (const path of paths) {
        if (isIgnored(path)) continue
        for (const input of inputs) if (!out.has(input.phase) && input.match(path)) out.add(input.phase)
      }
      return out
    },
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
