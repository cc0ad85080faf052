import { createHash, createHmac } from 'node:crypto'
import type { Stats } from 'node:fs'
import { isAbsolute, parse, relative, resolve, sep } from 'node:path'
import type { ContentHash } from '../hash/content-hash.js'
import { stableJson } from '../hash/stable-json.js'
import type { FileStamp, StatCache } from '../hash/stat-cache.js'
import { walkFiles } from '../hash/walk.js'
import type { PhaseDeclaration } from './types.js'
import { isWithin, toPosix } from '../hash/paths.js'

/**
 * Everything a phase's result depends on, kept per part so `--explain` can say what changed.
 * Env values appear only as keyed hashes: they may be secrets.
 */
export interface FingerprintParts {
  schema: 1
  core: string
  /** Plugin name → version, or `[version ]code:<hash>` of its module graph when loaded by path (plugin-code.ts). */
  plugins: Record<string, string>
  /** Declaring plugin → hash of its declared params. */
  params: Record<string, string>
  /** Declaring plugin → hash of its declared globs, outputs, env names and cwd. */
  declarations: Record<string, string>
  /** Env var name → keyed hash of its value, or `unset`. */
  env: Record<string, string>
  /** Input path relative to the project root → content hash. */
  files: Record<string, ContentHash>
  /** Upstream phase → its fingerprint. */
  upstream: Record<string, string>
}

/** Parts as computed: files in a Map (10,000 inserts into a plain object cost several ms). */
export interface ComputedParts extends Omit<FingerprintParts, 'files'> {
  files: Map<string, ContentHash>
}

export interface FingerprintInput {
  root: string
  declarations: readonly PhaseDeclaration[]
  pluginVersions: ReadonlyMap<string, string | undefined>
  coreVersion: string
  env: NodeJS.ProcessEnv
  /** Secret key for env value hashes (a dictionary attack on a stored hash needs it too). */
  envKey: string
  upstream: Record<string, string>
  statCache: StatCache
  signal?: AbortSignal
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}


/** A stable name per declaration: the plugin, or `plugin#2` when one plugin declares twice. */
export function declarationKeys(declarations: readonly PhaseDeclaration[]): string[] {
  const seen = new Map<string, number>()
  return declarations.map((d) => {
    const n = (seen.get(d.plugin) ?? 0) + 1
    seen.set(d.plugin, n)
    return n === 1 ? d.plugin : `${d.plugin}#${n}`
  })
}

export async function computeParts(input: FingerprintInput): Promise<ComputedParts> {
  const root = resolve(input.root)
  const keys = declarationKeys(input.declarations)
  const rootPrefix = root.endsWith(sep) ? root : root + sep
  const files = new Map<string, ContentHash>()
  const parts: ComputedParts = {
    schema: 1, core: input.coreVersion, plugins: {}, params: {}, declarations: {}, env: {}, files, upstream: { ...input.upstream },
  }
  // A phase's own outputs are never its inputs (train writes out/, which a broad glob covers).
  const outputs = input.declarations.flatMap((d) => (d.outputs ?? []).map((o) => resolve(root, d.cwd ?? '.', o)))
  for (const [i, d] of input.declarations.entries()) {
    parts.plugins[d.plugin] = input.pluginVersions.get(d.plugin) ?? ''
    parts.params[keys[i]] = shortHash(stableJson(d.params ?? null))
    parts.declarations[keys[i]] = shortHash(stableJson({ inputs: d.inputs ?? [], outputs: d.outputs ?? [], env: d.env ?? [], cwd: d.cwd ?? '.' }))
    for (const name of d.env ?? []) {
      const value = input.env[name]
      parts.env[name] = value === undefined ? 'unset' : createHmac('sha256', input.envKey).update(`${name}\0${value}`).digest('hex').slice(0, 16)
    }
    const cwd = resolve(root, d.cwd ?? '.')
    // Files whose stat is unchanged resolve synchronously inside the walk (no promise, no
    // retained Stats); the others are hashed after it.
    const changed: { key: string; path: string; stamp: FileStamp }[] = []
    // The key is the walk's own relative path under the declaration's folder (no path.relative
    // per file); a path that climbs out of it (`../data/*.csv`) is made relative to the root.
    const cwdKey = isWithin(cwd, root) ? toPosix(relative(root, cwd)) : undefined
    const slowKey = (path: string) => (path.startsWith(rootPrefix) ? toPosix(path.slice(rootPrefix.length)) : toPosix(relative(root, path)))
    const onFile = (path: string, key: string, stats: Stats) => {
      if (files.has(key)) return
      const known = input.statCache.lookup(key, stats)
      if (known !== undefined) files.set(key, known)
      else {
        files.set(key, '')
        changed.push({ key, path, stamp: { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, ctimeMs: stats.ctimeMs } })
      }
    }
    const fromCwd = (path: string, rel: string, stats: Stats) =>
      onFile(path, cwdKey === undefined || rel.startsWith('..') ? slowKey(path) : cwdKey ? `${cwdKey}/${rel}` : rel, stats)
    // Inputs outside the project (absolute globs: a shared dataset, a mounted volume) are hashed
    // like project inputs, keyed by their absolute path; a relative `../x` glob works as is.
    const patterns = d.inputs ?? []
    const absolute = patterns.filter((g) => isAbsolute(g.replace(/^!/, '')))
    walkFiles({ cwd, patterns: patterns.filter((g) => !absolute.includes(g)), exclude: outputs }, fromCwd)
    if (absolute.length) walkFiles({ cwd: parse(root).root, patterns: absolute.map((g) => g.replace(/^(!?)\//, '$1')), exclude: outputs }, (path, _rel, stats) => onFile(path, slowKey(path), stats))
    for (const file of changed) files.set(file.key, await input.statCache.hash(file.key, file.path, file.stamp, input.signal))
  }
  return parts
}

/** The fingerprint: a hash of every part, in a canonical order. */
export function fingerprintOf(parts: ComputedParts): string {
  const { files, ...rest } = parts
  const hash = createHash('sha256').update(stableJson(rest))
  // Thousands of files: one joined string, not a sorted object through stableJson.
  const names = [...files.keys()].sort()
  hash.update(names.map((name) => `\n${name}\0${files.get(name)}`).join(''))
  return hash.digest('hex').slice(0, 32)
}

/** The JSON form kept beside an entry (for `--explain` next time). */
export function storedParts(parts: ComputedParts): FingerprintParts {
  const names = [...parts.files.keys()].sort()
  return { ...parts, files: Object.fromEntries(names.map((name) => [name, parts.files.get(name)!])) }
}
