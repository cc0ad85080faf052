import { existsSync, realpathSync } from 'node:fs'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { ErrorCode, MlciError } from './errors.js'

/**
 * The one containment rule for paths that come from config, a registry record or a store:
 * resolve the path (from `base`, default `root`), then require it to stay under `root` — both as
 * written (`a/../../x` normalised) and after following symlinks of the part that exists already
 * (a link inside the project pointing outside does not count as inside).
 */

/** `path` is `dir` or below it. Both absolute and normalised. `..foo` is a name, not a parent. */
export function isUnder(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`))
}

/** The real path of the longest existing prefix of `path`, with the rest appended. */
function realish(path: string): string {
  let existing = path
  while (!existsSync(existing)) {
    const parent = dirname(existing)
    if (parent === existing) return path
    existing = parent
  }
  try {
    return resolve(realpathSync(existing), relative(existing, path))
  } catch {
    return path
  }
}

/** Where `path` points if it is contained in `root`, else undefined. */
export function resolveContained(root: string, path: string, base: string = root): string | undefined {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) return undefined
  const absRoot = resolve(root)
  const target = resolve(base, path)
  if (!isUnder(target, absRoot)) return undefined
  return isUnder(realish(target), realish(absRoot)) ? target : undefined
}

export interface ContainOptions {
  base?: string
  /** What the path is, for the message: `trainer option outputs[0]`, `artifact of version 1.2.0`. */
  what: string
  /** Config error (exit 2) by default; STATE_CORRUPT for a path read from a record. */
  code?: string
  hint?: string
  plugin?: string
}

/** resolveContained, or an error naming the path and what it belongs to. */
export function containedPath(root: string, path: string, options: ContainOptions): string {
  const inside = resolveContained(root, path, options.base)
  if (inside !== undefined) return inside
  throw new MlciError(options.code ?? ErrorCode.CONFIG_INVALID, `${options.what} ${JSON.stringify(path)} points outside ${root}.`, {
    plugin: options.plugin,
    hint: options.hint ?? 'Paths must stay inside the project: use a path relative to the project without ".." leading out, and no link to elsewhere.',
  })
}
