import { readFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { importModule } from './dynamic-import.js'
import { isTaggedNamespace } from './commonjs-interop.js'

/**
 * Resolving packages for configs and plugins that live outside any folder with mlci installed:
 * a plugin developed in its own folder, a config in a project with no node_modules, a global
 * `mlci`. Such a module's `import '@mlci/core'` (or of a plugin installed next to mlci) fails.
 * On that failure — and only then, since a resolution hook costs a loader thread — mlci
 * registers a hook that retries bare specifiers from mlci's own location, then imports again.
 * `@mlci/core` always resolves to the core mlci itself runs, so everyone shares one instance.
 */
let registered = false

/**
 * The core's own ES module URL: the package resolves itself by name, bundled or not, and its
 * "exports" "." default is the ES module facade (`require` would name the CommonJS loader, whose
 * names an `import { … }` cannot see).
 */
function coreUrl(): string {
  const manifest = createRequire(import.meta.url).resolve('@mlci/core/package.json')
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { '.': { default: string } } }
  return pathToFileURL(join(dirname(manifest), exports['.'].default)).href
}

/** The bare package an import failed to find, if that is why it failed. */
export function missingPackage(error: unknown): string | undefined {
  const e = error as { code?: string; message?: string } | undefined
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') return undefined
  const name = /Cannot find package '([^']+)'/.exec(e.message ?? '')?.[1]
  return name && !name.startsWith('.') && !name.startsWith('/') ? name : undefined
}

const HOOK = `
let coreUrl
export async function initialize(data) { coreUrl = data.coreUrl }
const bare = (s) => !/^(\\.|\\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(s)
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    if (specifier === '@mlci/core') return { url: coreUrl, shortCircuit: true }
    if (bare(specifier) && context.parentURL !== coreUrl) return next(specifier, { ...context, parentURL: coreUrl })
    throw error
  }
}`

export function resolveFromMlci(): void {
  if (registered) return
  registered = true
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { coreUrl: coreUrl() } })
}

/** Resolve a plugin specifier from mlci's own location (after the config's folder failed). */
export function resolveFromMlciLocation(specifier: string): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(specifier)
  } catch {
    return undefined
  }
}

/**
 * import() a plugin or config module; when a package it imports cannot be found from where it
 * lives, enable the fallback above and import a fresh copy (Node keeps the failed module job
 * for the original URL).
 */
export async function importWithCore(url: string): Promise<Record<string, unknown>> {
  try {
    return await importModule(url)
  } catch (error) {
    if (!missingPackage(error) || registered) throw error
    resolveFromMlci()
    return await importModule(`${url}${url.includes('?') ? '&' : '?'}resolved-from-mlci`)
  }
}

/** Whether Node runs `file` as CommonJS: `.cjs`, or `.js` under a package.json without "type": "module". */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs')) return true
  if (!file.endsWith('.js')) return false
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }).type !== 'module'
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return true
    }
    if (dirname(dir) === dir) return true
  }
}

const requireModule = createRequire(import.meta.url)

/**
 * Load a plugin module by its resolved path, as `import` would see it. A CommonJS file is
 * required (no ES module loader; plugin specifiers resolve with `require` conditions, so a
 * first-party plugin resolves to its CommonJS twin): a twin is tagged as the ES module namespace
 * it stands for and taken as it is (scripts/bundle.mjs), any other module gets Node's rule
 * (`default` is `module.exports`). An ES module is imported.
 */
export async function loadModuleFile(file: string): Promise<Record<string, unknown>> {
  if (!isCommonJs(file)) return importWithCore(pathToFileURL(file).href)
  const exports = requireModule(file) as Record<string | symbol, unknown>
  if (isTaggedNamespace(exports)) return exports as Record<string, unknown>
  return { ...exports, default: exports }
}
