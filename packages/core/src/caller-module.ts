import { pathToFileURL } from 'node:url'

/**
 * The file URL of the module that called the function calling this one: for `definePlugin`,
 * the plugin's own module. Core fingerprints that module's code (cache/plugin-code.ts), so an
 * edited plugin loaded by path re-runs the phases it taps. V8's structured stack (call sites)
 * names files exactly; undefined when the caller is not a file (eval, a REPL).
 */
export function callerModule(): string | undefined {
  const original = Error.prepareStackTrace
  const limit = Error.stackTraceLimit
  try {
    Error.stackTraceLimit = 4
    Error.prepareStackTrace = (_error, sites) => sites
    const sites = new Error().stack as unknown as NodeJS.CallSite[]
    // 0: callerModule, 1: definePlugin, 2: the module that called definePlugin.
    const file = sites[2]?.getFileName() ?? undefined
    if (!file) return undefined
    return file.startsWith('file:') ? file : file.startsWith('/') ? pathToFileURL(file).href : undefined
  } catch {
    return undefined
  } finally {
    Error.prepareStackTrace = original
    Error.stackTraceLimit = limit
  }
}
