import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Config files that are modules, in the order cosmiconfig tries them (after package.json). */
const MODULE_PLACES = ['mlci.config.ts', 'mlci.config.mts', 'mlci.config.cts', 'mlci.config.mjs', 'mlci.config.js', 'mlci.config.cjs']
/** Where cosmiconfig looks for its own "meta" config (in process.cwd()), which can change the search. */
const META_PLACES = ['package.yaml', '.config']

/**
 * The config cosmiconfig's search would find, answered without loading cosmiconfig and js-yaml
 * (~0.2 MB of modules a start) in the common case: a non-empty module config in the start folder
 * itself, no package.json#mlci there, and no cosmiconfig meta config. Anything else (a config in a
 * parent folder, JSON/YAML configs, package.json properties, unreadable files) returns undefined
 * and the caller asks cosmiconfig, so the two can never disagree.
 */
export function findModuleConfigQuickly(dir: string): string | undefined {
  const cwd = process.cwd()
  if (META_PLACES.some((p) => statSync(join(cwd, p), { throwIfNoEntry: false }))) return undefined
  if (!packageJsonIsPlain(join(cwd, 'package.json'), 'cosmiconfig')) return undefined
  if (!packageJsonIsPlain(join(dir, 'package.json'), 'mlci')) return undefined
  for (const place of MODULE_PLACES) {
    const file = join(dir, place)
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue
    return isModuleConfig(file) ? file : undefined
  }
  return undefined
}

/** A module config cosmiconfig would load as it is: readable and not blank (blank ones are skipped). */
export function isModuleConfig(file: string): boolean {
  if (!MODULE_PLACES.some((p) => file.endsWith(p.slice('mlci.config'.length)))) return false
  try {
    return readFileSync(file, 'utf8').trim() !== ''
  } catch {
    return false
  }
}

/** True when there is no package.json, or one that parses and has no `key` property. */
function packageJsonIsPlain(file: string, key: string): boolean {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
  }
  try {
    const pkg = JSON.parse(text) as unknown
    return typeof pkg === 'object' && pkg !== null && !Object.hasOwn(pkg, key)
  } catch {
    return false
  }
}
