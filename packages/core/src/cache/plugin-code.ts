import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadedPlugin } from '../config.js'

/**
 * What identifies a plugin's code in a phase fingerprint, so a changed plugin re-runs the
 * phases it taps:
 * - installed from a package (its module lives under node_modules): `version` (package name is
 *   the key), as a publish changes it;
 * - loaded by path (a file next to the config, a plugin developed in its own folder, the
 *   monorepo's own plugins): `code:<hash>` of its module graph — the module and every module it
 *   imports by relative path, transitively. Bare imports (packages) are not followed: they are
 *   versioned by their own package.json.
 * - no known module (an object literal in the config, a factory not made by definePlugin): the
 *   version alone; docs/plugins.md says so.
 */
export function pluginCodeId(loaded: LoadedPlugin): string {
  const version = loaded.version ?? loaded.plugin.version ?? ''
  const file = moduleFile(loaded)
  if (!file || file.split(sep).includes('node_modules')) return version
  const hash = moduleGraphHash(file)
  return hash ? `${version ? `${version} ` : ''}code:${hash}` : version
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

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\bexport\s*\*\s*from\s*|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g
const EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '/index.js', '/index.ts']

/** sha256 over every module of the graph (path relative to the entry's folder + content), or undefined when unreadable. */
export function moduleGraphHash(entry: string): string | undefined {
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
      const target = resolveRelative(dirname(file), match[2])
      if (target && !seen.has(target)) queue.push(target)
    }
  }
  const base = dirname(entry)
  const hash = createHash('sha256')
  for (const file of [...seen.keys()].sort()) hash.update(`${file.startsWith(base) ? file.slice(base.length) : file}\0${seen.get(file)}\0`)
  return hash.digest('hex').slice(0, 16)
}

function readCached(file: string): string {
  const s = statSync(file)
  const stamp = `${s.size}:${s.mtimeMs}:${s.ino}`
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
