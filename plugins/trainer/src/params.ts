import { loadYaml } from './yaml.js'
import { readFile } from 'node:fs/promises'
import { extname, relative, resolve } from 'node:path'
import { ErrorCode, MASK, MlciError, SECRET_NAME } from '@mlci/core'
import type { ParamsMode } from './options.js'

/** How params reach the training command. */
export interface ParamsPlan {
  argv: string[]
  env: Record<string, string>
  /** A JSON file to write before the command runs (file mode with an inline object). */
  write?: { path: string; content: string }
}

/** `learning_rate` → `MLCI_PARAM_LEARNING_RATE`. */
export function envName(key: string): string {
  return `MLCI_PARAM_${key.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`
}

/** Strings as they are, numbers and booleans printed, anything else as JSON (lists, objects). */
export function paramValue(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/**
 * The params object, and the file it came from (when `params` is a path, relative to `cwd`).
 * JSON unless the file ends in .yml/.yaml.
 */
export async function loadParams(params: Record<string, unknown> | string | undefined, cwd: string): Promise<{ values?: Record<string, unknown>; file?: string }> {
  if (params === undefined) return {}
  if (typeof params !== 'string') return { values: params }
  const file = resolve(cwd, params)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new MlciError(ErrorCode.NOT_FOUND, `Params file ${params} does not exist (in ${cwd}).`, { hint: 'Fix `params` in the trainer options: an object, or the path of a JSON/YAML file.' })
  }
  // yaml is loaded only for YAML files: JSON-only configs do not pay for parsing it at startup.
  const yaml = /\.ya?ml$/i.test(extname(file)) ? await loadYaml() : undefined
  let values: unknown
  try {
    values = yaml ? yaml.parse(text) : JSON.parse(text)
  } catch (error) {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `Params file ${params} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(error as Error).message}`)
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `Params file ${params} must hold an object of name: value.`)
  }
  return { values: values as Record<string, unknown>, file }
}

/**
 * argv: `--name value` per param; env: MLCI_PARAM_<NAME>; file: `--params <file>`, writing the
 * file only for inline params (a params file given by path is passed as it is). An
 * MLCI_PARAM_<NAME> set in mlci's environment (`env`) is the user's override: in argv and env mode
 * it replaces that param's value (mlci passes every param itself, and would otherwise hand the
 * script the file's value); in file mode the variable reaches the script beside the file.
 */
export function planParams(loaded: { values?: Record<string, unknown>; file?: string }, mode: ParamsMode, paramsFile: string, cwd: string, env: Record<string, string | undefined> = {}): ParamsPlan {
  const plan: ParamsPlan = { argv: [], env: {} }
  if (!loaded.values) return plan
  // Only params mlci passes are overridden here: an MLCI_PARAM_ naming no param reaches the
  // script through its environment, never as an `--name` flag its parser may not know.
  const known = Object.keys(loaded.values)
  const values = mode === 'file' ? loaded.values : Object.fromEntries(Object.entries(withOverrides(loaded.values, env).values).filter(([key]) => known.includes(key)))
  if (mode === 'argv') {
    for (const [key, value] of Object.entries(values)) plan.argv.push(`--${key}`, paramValue(value))
  } else if (mode === 'env') {
    for (const [key, value] of Object.entries(values)) plan.env[envName(key)] = paramValue(value)
  } else {
    const file = loaded.file ?? paramsFile
    if (!loaded.file) plan.write = { path: paramsFile, content: JSON.stringify(values, null, 2) + '\n' }
    plan.argv.push('--params', relative(cwd, file) || file)
  }
  return plan
}

const PARAM_ENV = 'MLCI_PARAM_'

/** An env override as the value it stands for, typed like the value it replaces. */
function coerce(raw: string, like: unknown): unknown {
  if (typeof like === 'string') return raw
  if (typeof like === 'number' || like === undefined) {
    const n = Number(raw)
    if (raw.trim() !== '' && Number.isFinite(n)) return n
  }
  if (raw === 'true' || raw === 'false') return raw === 'true'
  if (like !== undefined && typeof like === 'object') {
    try {
      return JSON.parse(raw)
    } catch {
      return raw
    }
  }
  return raw
}

/**
 * `values` with every MLCI_PARAM_<NAME> of `env` applied (typed like the value it replaces; a
 * variable naming no param adds one, as the script sees it too), and the variables applied.
 */
function withOverrides(values: Record<string, unknown>, env: Record<string, string | undefined>): { values: Record<string, unknown>; from: Record<string, string> } {
  const out = { ...values }
  const from: Record<string, string> = {}
  const byEnvName = new Map(Object.keys(values).map((key) => [envName(key), key]))
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(PARAM_ENV) || raw === undefined) continue
    const key = byEnvName.get(name) ?? name.slice(PARAM_ENV.length).toLowerCase()
    out[key] = coerce(raw, out[key])
    from[key] = name
  }
  return { values: out, from }
}

/**
 * The params the command actually trains with, for the lineage, and where each came from: the
 * params file (or trainer options), or an MLCI_PARAM_<NAME> override (see planParams). Values of
 * secret-looking names (`api_token`) are recorded masked.
 */
export function trainedParams(loaded: { values?: Record<string, unknown>; file?: string }, env: Record<string, string | undefined>, cwd: string): { values: Record<string, unknown>; sources: Record<string, string> } | undefined {
  const origin = loaded.file ? relative(cwd, loaded.file) || loaded.file : 'trainer options'
  const { values, from } = withOverrides(loaded.values ?? {}, env)
  const sources = Object.fromEntries(Object.keys(values).map((key) => [key, from[key] ? `env ${from[key]}` : origin]))
  if (!Object.keys(values).length) return undefined
  for (const key of Object.keys(values)) if (SECRET_NAME.test(key)) values[key] = MASK
  return { values, sources }
}

/** Values of params whose names look secret (`api_token`): the run masks them in all output. */
export function secretParamValues(values: Record<string, unknown> | undefined): string[] {
  return Object.entries(values ?? {}).filter(([key, v]) => SECRET_NAME.test(key) && v !== undefined && v !== null).map(([, v]) => paramValue(v))
}
