import { ErrorCode, MlciError, containedPath, type Shape } from '@mlci/core'
import { resolve } from 'node:path'

export type ParamsMode = 'argv' | 'env' | 'file'

export interface TrainerOptions {
  /** The training command as an argv array, e.g. ['python3', 'train.py']. */
  command: string[]
  /** Where to run it; outputs, metrics, signature, inputs and paramsFile are relative to it. Default: the project root. */
  cwd?: string
  /** Extra environment for the command (on top of mlci's), e.g. `{ OMP_NUM_THREADS: '1' }`. */
  env?: Record<string, string>
  /** Hyper-parameters: an object, or the path of a JSON/YAML file holding one. */
  params?: Record<string, unknown> | string
  /** How params reach the command: `--name value` (argv, default), MLCI_PARAM_<NAME> (env), or `--params <file>` (file). */
  paramsMode?: ParamsMode
  /** Where `file` mode writes the params JSON (default `.mlci/train-params.json`). Implies paramsMode 'file'. */
  paramsFile?: string
  /** Globs the training result depends on (default: every file except outputs, VCS, venvs and mlci state). */
  inputs?: string[]
  /**
   * Globs of the training data; their content alone gives the version's `+data.<hash>` (params
   * and code changes do not change it). They are inputs too. Default: the `inputs` entries that are
   * not code (.py, .ipynb, .R, .sh, .js, .ts, .jl) and not the params file.
   */
  data?: string[]
  /** Files or folders the command must write (the model). */
  outputs?: string[]
  /** JSON or YAML file of metrics the command writes; read in the evaluate phase. */
  metrics?: string
  /** JSON file describing the model's inputs/outputs. */
  signature?: string
  /** Milliseconds before training is killed. */
  timeout?: number
}

export const OPTIONS_SHAPE: Shape = {
  command: 'string[]', cwd: 'string', env: { record: 'string' }, params: ['object', 'string'],
  paramsMode: { oneOf: ['argv', 'env', 'file'] }, paramsFile: 'string', inputs: 'string[]', data: 'string[]',
  outputs: 'string[]', metrics: 'string', signature: 'string', timeout: 'number',
}

const NEVER_INPUTS = ['!.git/**', '!.mlci/**', '!**/node_modules/**', '!**/.venv/**', '!**/venv/**', '!**/__pycache__/**', '!**/.pytest_cache/**']

/** Everything but what training writes and tool state: over-invalidating beats a stale model. */
export function defaultInputs(options: TrainerOptions): string[] {
  return ['**/*', ...NEVER_INPUTS, ...writtenPaths(options).flatMap((p) => [`!${p}`, `!${p.replace(/\/+$/, '')}/**`])]
}

const CODE = /\.(py|pyi|ipynb|r|sh|js|mjs|cjs|ts|jl|scala|java|go|rs|c|cpp|h)$/i

/**
 * The data globs: `data`, else the `inputs` that are not code, not the params file and not
 * catch-alls like `*` (exclusions kept). None declared → no data digest.
 */
export function dataPatterns(options: TrainerOptions): string[] {
  if (options.data) return options.data
  const paramsFile = typeof options.params === 'string' ? options.params.replace(/^\.\//, '') : undefined
  const positive = (options.inputs ?? []).filter((p) => !p.startsWith('!') && !CODE.test(p) && p.replace(/^\.\//, '') !== paramsFile && !/^(\*\*\/?)?\*(\.\*)?$/.test(p))
  return positive.length ? [...positive, ...(options.inputs ?? []).filter((p) => p.startsWith('!'))] : []
}

/** Every path the command is expected to write. */
export function writtenPaths(options: TrainerOptions): string[] {
  return [...(options.outputs ?? []), options.metrics, options.signature].filter((p): p is string => Boolean(p))
}

/**
 * Every path the trainer writes or reads must stay inside the project: an output outside it would
 * be recorded as an artifact and released (core's containment rule). A config error (exit 2).
 */
export function checkPaths(options: TrainerOptions, root: string, plugin: string): void {
  const cwd = containedPath(root, options.cwd ?? '.', { what: `${plugin} option cwd`, plugin })
  const named: [string, string | undefined][] = [
    ...(options.outputs ?? []).map((p, i): [string, string] => [`outputs[${i}]`, p]),
    ['metrics', options.metrics], ['signature', options.signature], ['paramsFile', options.paramsFile],
  ]
  for (const [key, path] of named) {
    if (path !== undefined) containedPath(root, path, { base: cwd, what: `${plugin} option ${key}`, plugin, hint: `Write ${key} as a path inside the project (relative to ${resolve(cwd)}).` })
  }
}

/** Numbers the shape cannot express: a timeout is a positive number of milliseconds. */
export function checkRanges(options: TrainerOptions, plugin: string): void {
  if (options.timeout !== undefined && !(options.timeout > 0)) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Invalid option: ${plugin}.timeout must be a positive number of milliseconds, got ${options.timeout}.`, {
      plugin, hint: 'Leave timeout out for no limit, or give milliseconds, e.g. timeout: 3_600_000 for an hour.',
    })
  }
}
