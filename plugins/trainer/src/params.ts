import { loadYaml } from './yaml.js'
import { readFile } from 'node:fs/promises'
import { extname, relative, resolve } from 'node:path'
import { ErrorCode, MlciError } from '@mlci/core'
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
 * file only for inline params (a params file given by path is passed as it is).
 */
export function planParams(loaded: { values?: Record<string, unknown>; file?: string }, mode: ParamsMode, paramsFile: string, cwd: string): ParamsPlan {
  const plan: ParamsPlan = { argv: [], env: {} }
  const values = loaded.values
  if (!values) return plan
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
