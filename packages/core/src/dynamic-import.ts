/**
 * `import()` of a plugin or config module by URL. Its own module so the CommonJS bundle of core
 * (loaded from V8's code cache through node:vm, see scripts/code-cache-loader.cjs) can keep it
 * outside: code compiled by node:vm cannot call import() on Node 20 without an experimental flag,
 * a module loaded by Node itself can.
 */
export function importModule(url: string): Promise<Record<string, unknown>> {
  return import(url) as Promise<Record<string, unknown>>
}
