import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'

/**
 * A plugin (or a config) outside any folder that has @mlci/core installed — a plugin developed
 * in its own folder, a global `mlci` — cannot resolve its `import '@mlci/core'`. When that
 * happens, mlci registers a module resolution hook that answers `@mlci/core` with the core mlci
 * itself runs, then imports again. The hook costs a loader thread, so it is registered only on
 * that failure; it also guarantees plugins and mlci share one core.
 */
let registered = false

export function isMissingCore(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined
  return e?.code === 'ERR_MODULE_NOT_FOUND' && /['"]@mlci\/core['"]/.test(e.message ?? '')
}

const HOOK = `
let coreUrl
export async function initialize(data) { coreUrl = data.coreUrl }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    if (specifier === '@mlci/core') return { url: coreUrl, shortCircuit: true }
    throw error
  }
}`

export function resolveCoreForOutsiders(): void {
  if (registered) return
  registered = true
  // The package resolves itself by name (its own "exports"), bundled or not.
  const coreUrl = pathToFileURL(createRequire(import.meta.url).resolve('@mlci/core')).href
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { coreUrl } })
}

/**
 * import() a plugin or config module; when it fails only because `@mlci/core` is not
 * resolvable from where it lives, make it resolvable and import a fresh copy (Node keeps the
 * failed module job for the original URL).
 */
export async function importWithCore(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>
  } catch (error) {
    if (!isMissingCore(error)) throw error
    resolveCoreForOutsiders()
    return (await import(`${url}${url.includes('?') ? '&' : '?'}with-core`)) as Record<string, unknown>
  }
}
