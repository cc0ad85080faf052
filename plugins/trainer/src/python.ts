import { constants } from 'node:fs'
import { access, readFile, stat } from 'node:fs/promises'
import { basename, delimiter, join, resolve } from 'node:path'
import { ErrorCode, MlciError, writeJsonAtomic, type RunContext } from '@mlci/core'

/**
 * When the training command starts with `python`/`python3`, spawn the real interpreter instead
 * of a (pyenv) shim, found once and remembered in `.mlci/python.json` while the command, PATH,
 * pyenv/venv env and the files the answer came from are unchanged. Same cache format as the
 * pytest plugin's copy of this file (plugins never import each other).
 */
interface CacheEntry {
  command: string
  path: string
  executable: string
  version: string
  files: string[]
  stamps: string[]
}

const PROBE = 'import sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])'
const KEY_ENV = ['PATH', 'PYENV_VERSION', 'VIRTUAL_ENV', 'CONDA_PREFIX']
const MAX_ENTRIES = 20
const PYTHON_NAME = /^python(\d+(\.\d+)?)?$/

export function isPython(command: string): boolean {
  return PYTHON_NAME.test(basename(command))
}

/** argv[0] as the user wrote it, except that $MLCI_PYTHON replaces a bare `python`/`python3`. */
export function requestedProgram(argv0: string, env: NodeJS.ProcessEnv): string {
  return isPython(argv0) && !argv0.includes('/') && env.MLCI_PYTHON ? env.MLCI_PYTHON : argv0
}

/** The program to spawn for argv[0]: the real interpreter for Python, else argv[0] unchanged. */
export async function resolveProgram(ctx: RunContext, argv0: string, cwd: string): Promise<string> {
  const command = requestedProgram(argv0, ctx.env)
  if (!isPython(command) && command === argv0) return argv0
  const path = await findExecutable(command, ctx.env.PATH ?? '', cwd)
  if (!path) throw notFound(command, argv0)
  const cacheFile = join(ctx.stateDir, 'python.json')
  const key = JSON.stringify([command, ...KEY_ENV.map((k) => ctx.env[k] ?? '')])
  const entries = await readCache(cacheFile)
  const cached = entries[key]
  if (cached && cached.path === path && sameStamps(await stampsOf(cached.files), cached.stamps)) return cached.executable

  const result = await ctx.exec([path, '-c', PROBE], { quiet: true, reject: false, timeoutMs: 60_000 })
  const [executable, version] = result.stdout.trim().split('\n')
  if (result.exitCode !== 0 || !version) {
    const why = (result.stderr || result.stdout).trim().split('\n').pop() || `exit code ${result.exitCode}`
    throw new MlciError(ErrorCode.PYTHON_NOT_FOUND, `Python interpreter ${command} (${path}) does not work: ${why}`, { hint: HOW_TO_SET })
  }
  if (!ctx.dryRun) {
    const files = [path, executable || path, join(ctx.cwd, '.python-version')]
    const entry: CacheEntry = { command, path, executable: executable || path, version, files, stamps: await stampsOf(files) }
    await writeCache(cacheFile, key, entry).catch((e) => ctx.log.debug(`could not cache the interpreter: ${String(e)}`))
  }
  return executable || path
}

const HOW_TO_SET = 'Install it or put it on PATH, or give its full path as the first element of trainer({ command }) (or set MLCI_PYTHON=/path/to/python for python commands).'

export function notFound(command: string, argv0: string): MlciError {
  const via = command !== argv0 ? ` (MLCI_PYTHON, replacing ${argv0})` : ''
  return new MlciError(ErrorCode.EXEC_NOT_FOUND, `Training command not found: ${command}${via}${command.includes('/') ? '' : ' on PATH'}.`, { hint: HOW_TO_SET })
}

function sameStamps(a: string[], b: unknown): boolean {
  return Array.isArray(b) && a.length === b.length && a.every((s, i) => s === b[i])
}

function stampsOf(files: unknown): Promise<string[]> {
  if (!Array.isArray(files)) return Promise.resolve(['invalid'])
  return Promise.all(files.map(async (file) => {
    const s = await stat(file).catch(() => undefined)
    return s ? `${file}:${s.mtimeMs}:${s.size}` : `${file}:absent`
  }))
}

async function readCache(file: string): Promise<Record<string, CacheEntry>> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { schema?: number; entries?: Record<string, CacheEntry> }
    return parsed.schema === 1 && parsed.entries && typeof parsed.entries === 'object' ? parsed.entries : {}
  } catch {
    return {}
  }
}

async function writeCache(file: string, key: string, entry: CacheEntry): Promise<void> {
  const latest = await readCache(file)
  delete latest[key]
  const kept = Object.entries(latest).slice(-(MAX_ENTRIES - 1))
  await writeJsonAtomic(file, { schema: 1, entries: Object.fromEntries([...kept, [key, entry]]) })
}

/** `command` as the OS would find it: a path (relative to cwd) or the first executable on PATH. */
export async function findExecutable(command: string, pathEnv: string, cwd: string): Promise<string | undefined> {
  const paths = command.includes('/') ? [resolve(cwd, command)] : pathEnv.split(delimiter).filter(Boolean).map((dir) => join(dir, command))
  for (const file of paths) {
    const s = await stat(file).catch(() => undefined)
    if (s?.isFile() && (await access(file, constants.X_OK).then(() => true, () => false))) return file
  }
  return undefined
}
