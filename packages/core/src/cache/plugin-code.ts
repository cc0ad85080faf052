import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadedPlugin } from '../config.js'

/**
 * What identifies a plugin's code in a phase fingerprint, so a changed plugin re-runs the
 * phases it taps:
 * - installed from a package (under node_modules, or a package the project resolves by name,
 *   like a workspace link): `version` (the package name is the key), as a publish changes it;
 * - loaded by path (a file next to the config, a plugin developed in its own folder, the
 *   monorepo's own plugins): `code:<hash>` of its module graph — the module and every module it
 *   imports by path (relative, or absolute as in a compiled config), transitively. Bare imports (packages) are not followed: they are
 *   versioned by their own package.json.
 * - no known module (an object literal in the config, a factory not made by definePlugin): the
 *   version alone; docs/plugins.md says so.
 */
export function pluginCodeId(loaded: LoadedPlugin, root: string): string {
  const version = loaded.version ?? loaded.plugin.version ?? ''
  const file = moduleFile(loaded)
  // A plugin defined inside a TS config lives in the compiled config, which may sit in
  // node_modules/.cache/mlci: that is the project's code, not an installed package.
  const compiledConfig = file?.includes(`${sep}node_modules${sep}.cache${sep}mlci${sep}`)
  if (!file || (!compiledConfig && (file.split(sep).includes('node_modules') || installedFrom(file, root)))) return version
  const hash = moduleGraphHash(file)
  return hash ? `${version ? `${version} ` : ''}code:${hash}` : version
}

/**
 * Whether `file` belongs to a package the project resolves by name (an install, or a workspace
 * link whose real path hides its node_modules): then its version identifies it, as for any
 * installed package. A file by path has no package, or one the project cannot name.
 */
function installedFrom(file: string, root: string): boolean {
  const pkg = owningPackage(file)
  if (!pkg?.name || !pkg.version) return false
  // The project's own package (a package may import itself by name): its files are the project's.
  if (resolve(root) === pkg.dir || resolve(root).startsWith(pkg.dir + sep)) return false
  try {
    const entry = realpathSync(createRequire(join(root, 'noop.js')).resolve(pkg.name))
    return entry.startsWith(pkg.dir + sep)
  } catch {
    return false
  }
}

function owningPackage(file: string): { dir: string; name?: string; version?: string } | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      try {
        return { dir, ...(JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string }) }
      } catch {
        return undefined
      }
    }
    if (dirname(dir) === dir) return undefined
  }
}

function moduleFile(loaded: LoadedPlugin): string | undefined {
  const url = loaded.plugin.module ?? loaded.file
  if (!url) return undefined
  try {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url
    return realpathSync(path)
  } catch {
    return undefined
  }
}

/** Memo per file stamp: several phases (and `mlci watch` cycles) ask for the same graph. */
const memo = new Map<string, { stamp: string; text: string }>()

// Relative specifiers, and the absolute paths and file: URLs a compiled config (load-config.ts)
// has for the JavaScript modules it imports by path: an inline plugin's helper is its code too.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\bexport\s*\*\s*from\s*|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]+|\/[^'"]+|file:\/\/[^'"]+)\1/g
const EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '/index.js', '/index.ts']

/** sha256 over every module of the graph (path relative to the entry's folder + content), or undefined when unreadable. */
export function moduleGraphHash(entry: string): string | undefined {
  // Every phase asks again: unchanged stamps of the whole graph answer without reading or parsing.
  const known = graphs.get(entry)
  if (known && [...known.stamps].every(([file, stamp]) => stampOf(file) === stamp)) return known.hash
  const seen = new Map<string, string>()
  const queue = [entry]
  while (queue.length) {
    const file = queue.pop()!
    if (seen.has(file)) continue
    let text: string
    try {
      text = readCached(file)
    } catch {
      if (file === entry) return undefined
      continue
    }
    seen.set(file, text)
    for (const match of text.matchAll(IMPORT)) {
      const target = resolveRelative(dirname(file), match[2].startsWith('file:') ? fileURLToPath(match[2]) : match[2])
      if (target && !seen.has(target)) queue.push(target)
    }
  }
  const base = dirname(entry)
  const hash = createHash('sha256')
  for (const file of [...seen.keys()].sort()) hash.update(`${file.startsWith(base) ? file.slice(base.length) : file}\0${seen.get(file)}\0`)
  const digest = hash.digest('hex').slice(0, 16)
  graphs.set(entry, { hash: digest, stamps: new Map([...seen.keys()].map((file) => [file, memo.get(file)!.stamp])) })
  return digest
}

const graphs = new Map<string, { hash: string; stamps: Map<string, string> }>()

function stampOf(file: string): string | undefined {
  const s = statSync(file, { throwIfNoEntry: false })
  return s && `${s.size}:${s.mtimeMs}:${s.ino}`
}

function readCached(file: string): string {
  const stamp = stampOf(file)
  if (!stamp) throw new Error(`${file} is gone`)
  const known = memo.get(file)
  if (known?.stamp === stamp) return known.text
  const text = readFileSync(file, 'utf8')
  memo.set(file, { stamp, text })
  return text
}

/** A relative import as Node (or a TS build) would find it; a `.js` specifier may name a `.ts` source. */
function resolveRelative(dir: string, specifier: string): string | undefined {
  const path = resolve(dir, specifier.split('?')[0])
  const candidates = [...EXTENSIONS.map((ext) => path + ext), ...(/\.[mc]?js$/.test(path) ? [path.replace(/js$/, 'ts')] : [])]
  for (const candidate of candidates) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return undefined
}
