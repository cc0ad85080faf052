import { constants } from 'node:fs'
import { access, readFile, stat } from 'node:fs/promises'
import { delimiter, join, resolve } from 'node:path'
import { ErrorCode, MlciError, writeJsonAtomic, type RunContext } from '@mlci/core'

/**
 * Find the real Python interpreter once and remember it in `.mlci/python.json`. `python3` on PATH
 * is often a pyenv shell shim (~75 ms a launch) and a cached build must start no Python at all,
 * so the answer is reused while its key (command, PATH, pyenv/venv env) and every file it was
 * derived from (the shim, the real executable, pytest's package) keep their path, mtime and size.
 * (The trainer plugin keeps its own copy of this file: plugins never import each other.)
 */
export interface Interpreter {
  /** What was asked for, e.g. `python3` or `/opt/venv/bin/python`. */
  command: string
  /** `command` found on PATH (may be a shim). */
  path: string
  /** sys.executable: what to spawn. */
  executable: string
  version: string
  pytest?: { version: string; file: string }
}

interface CacheEntry extends Interpreter {
  /** The files the answer depends on (shim, executable, pytest, pyenv's `.python-version`)… */
  files: string[]
  /** …each as `path:mtimeMs:size`; any change → probe again. */
  stamps: string[]
}

const PROBE = [
  'import sys',
  'print(sys.executable)',
  'print("%d.%d.%d" % sys.version_info[:3])',
  'try:',
  '    import pytest; print(pytest.__version__); print(pytest.__file__)',
  'except Exception as e:',
  '    print("!" + type(e).__name__ + ": " + str(e))',
].join('\n')

const KEY_ENV = ['PATH', 'PYENV_VERSION', 'VIRTUAL_ENV', 'CONDA_PREFIX']
const MAX_ENTRIES = 20

export const HOW_TO_SET = "Install Python 3 with pytest, or point mlci at an interpreter: pytest({ python: '/path/to/python' }) in mlci.config.ts, or the env var MLCI_PYTHON=/path/to/python."

/** Candidates in order: the `python` option, else $MLCI_PYTHON, else python3 then python. */
export function candidates(option: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (option) return [option]
  if (env.MLCI_PYTHON) return [env.MLCI_PYTHON]
  return ['python3', 'python']
}

export async function resolveInterpreter(ctx: RunContext, option: string | undefined, needPytest: boolean): Promise<Interpreter> {
  const tried = candidates(option, ctx.env)
  let command: string | undefined
  let path: string | undefined
  for (const candidate of tried) {
    path = await findExecutable(candidate, ctx.env.PATH ?? '', ctx.cwd)
    if (path) {
      command = candidate
      break
    }
  }
  if (!command || !path) {
    const source = option ? ' (the pytest `python` option)' : ctx.env.MLCI_PYTHON ? ' (from MLCI_PYTHON)' : ''
    throw new MlciError(ErrorCode.PYTHON_NOT_FOUND,
      `Python interpreter not found: tried ${tried.join(', ')}${source}${tried.some((t) => !t.includes('/')) ? ' on PATH' : ''}.`,
      { hint: HOW_TO_SET })
  }
  const cacheFile = join(ctx.stateDir, 'python.json')
  const key = JSON.stringify([command, ...KEY_ENV.map((k) => ctx.env[k] ?? '')])
  const cached = (await readCache(cacheFile))[key]
  if (cached && cached.path === path && (!needPytest || cached.pytest) && sameStamps(await stampsOf(cached.files), cached.stamps)) return cached

  const result = await ctx.exec([path, '-c', PROBE], { quiet: true, reject: false, timeoutMs: 60_000 })
  const lines = result.stdout.trim().split('\n')
  if (result.exitCode !== 0 || lines.length < 3) {
    const why = (result.stderr || result.stdout).trim().split('\n').pop() || `exit code ${result.exitCode}`
    throw new MlciError(ErrorCode.PYTHON_NOT_FOUND, `Python interpreter ${command} (${path}) does not work: ${why}`, { hint: HOW_TO_SET })
  }
  const [executable, version, pytestLine, pytestFile] = lines
  const found: Interpreter = { command, path, executable: executable || path, version }
  if (!pytestLine.startsWith('!')) found.pytest = { version: pytestLine, file: pytestFile }
  if (needPytest && !found.pytest) {
    throw new MlciError(ErrorCode.PYTHON_NOT_FOUND, `pytest cannot be imported by ${command} (${found.executable}): ${pytestLine.slice(1)}`, {
      hint: `Install it (${found.executable} -m pip install pytest), or use another interpreter: pytest({ python: '/path/to/python' }) or MLCI_PYTHON=/path/to/python.`,
    })
  }
  // --dry-run promises no side effects: answer without remembering.
  if (!ctx.dryRun) {
    const files = [path, found.executable, ...(found.pytest ? [found.pytest.file] : []), join(ctx.cwd, '.python-version')]
    const entry: CacheEntry = { ...found, files, stamps: await stampsOf(files) }
    await writeCache(cacheFile, key, entry).catch((e) => ctx.log.debug(`could not cache the interpreter: ${String(e)}`))
  }
  return found
}

function sameStamps(a: string[], b: unknown): boolean {
  return Array.isArray(b) && a.length === b.length && a.every((s, i) => s === b[i])
}

/** Each file as `path:mtimeMs:size` (or `path:absent`). */
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
  // Re-read: another plugin may have added its own entry meanwhile.
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
