/**
 * How mlci's CommonJS files stand in for ES modules: the first-party plugins' CommonJS twins
 * and the core bundle (scripts/bundle.mjs imports this module's compiled form) and compiled TS
 * configs (load-config.ts). One place, so the writers and the reader (loadModuleFile) agree.
 */

/**
 * Appended to a CommonJS file compiled from an ES module: its exports are that module's
 * namespace, to be taken as they are (not wrapped under `default`, Node's rule for CommonJS).
 */
export const NAMESPACE_FOOTER = "Object.defineProperty(module.exports, Symbol.toStringTag, { value: 'Module' });"

/** Whether `exports` carry NAMESPACE_FOOTER's tag. */
export function isTaggedNamespace(exports: unknown): boolean {
  return (exports as Record<symbol, unknown> | undefined)?.[Symbol.toStringTag] === 'Module'
}

/** Where the core a process runs is found once loaded (the first core loaded keeps it). */
const RUNNING_CORE = 'globalThis[Symbol.for("@mlci/core")]'

/** The core bundle's footer: registers its exports as the running core. */
export const REGISTER_RUNNING_CORE = `if (!${RUNNING_CORE}) Object.defineProperty(globalThis, Symbol.for("@mlci/core"), { value: module.exports });`

/**
 * A CommonJS file's `require("@mlci/core")` made to take the running core first: the one
 * instance mlci uses, found without resolving the package again (Node resolves package
 * "exports" with its ES module resolver, whose first use costs ~12 M instructions, ~6 % of a
 * no-op build), and there even where no @mlci/core is installed next to the file (a global
 * mlci). Without a running core (core's sources run directly, as in unit tests) the package is
 * required as before.
 */
export function withRunningCore(code: string): string {
  return code.replaceAll('require("@mlci/core")', `(${RUNNING_CORE} ?? require("@mlci/core"))`)
}
