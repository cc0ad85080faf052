import { constants } from 'node:fs'
import { access, readFile, stat } from 'node:fs/promises'
import { delimiter, join, resolve } from 'node:path'
import { writeJsonAtomic } from './atomic.js'
import type { RunContext } from './context.js'
import { ErrorCode, MlciError } from './errors.js'

/**
 * Find the real Python interpreter behind a command once and remember it in `.mlci/python.json`.
 * `python3` on PATH is often a pyenv shell shim (~75 ms a launch) and a fully cached build must
 * start no Python at all, so the answer is reused while its key (the resolved path, PATH and the
 * pyenv/venv env) holds and every file it came from (shim, real executable, each probed module,
 * pyenv's `.python-version`) keeps its path, mtime and size. One entry serves every plugin: a
 * probe also re-asks for the modules the stale entry knew, so nobody's answer is dropped.
 */
export interface PythonInterpreter {
  /** What was asked for, e.g. `python3` or `/opt/venv/bin/python`. */
  command: string
  /** `command` as found on PATH or relative to cwd (may be a shim). */
  path: string
  /** sys.executable: what to spawn. */
  executable: string
  /** e.g. `3.12.4`. */
  version: string
  /** Each importable probed module: its `__version__` and `__file__`. */
  modules: Record<string, PythonModule>
  /** Each probed module that did not import: why (`ModuleNotFoundError: No module named 'x'`). */
  missing: Record<string, string>
}

export interface PythonModule {
  version: string
  file: string
}

export interface ResolvePythonOptions {
  /** A bare name looked up on PATH, or a path (relative to `cwd`). */
  command: string
  /** Where a relative `command` is resolved; default ctx.cwd. */
  cwd?: string
  /** Modules to import and report, e.g. ['pytest']. An answer missing one is not cached. */
  probeModules?: string[]
  /** Hint of the error thrown when the interpreter exists but does not run. */
  hint?: string
}

type PythonContext = Pick<RunContext, 'cwd' | 'stateDir' | 'env' | 'exec' | 'dryRun' | 'log'>

interface CacheEntry extends Omit<PythonInterpreter, 'missing'> {
  /** The files the answer depends on… */
  files: string[]
  /** …each as `path:mtimeMs:size`; any change → probe again. */
  stamps: string[]
}

// One JSON line, the last one printed (a sitecustomize may print before it). Module names come as argv.
const PROBE = `
import sys, json, importlib
mods, missing = {}, {}
for name in sys.argv[1:]:
    try:
        m = importlib.import_module(name)
        mods[name] = {"version": str(getattr(m, "__version__", "")), "file": getattr(m, "__file__", None) or ""}
    except Exception as e:
        missing[name] = (type(e).__name__ + ": " + str(e)).replace("\\n", " ")
print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3], "modules": mods, "missing": missing}))
`
const SCHEMA = 2
const KEY_ENV = ['PATH', 'PYENV_VERSION', 'VIRTUAL_ENV', 'CONDA_PREFIX']
const MAX_ENTRIES = 20

/**
 * The interpreter behind `command`, with the probed modules; `undefined` when `command` is not
 * found (callers word that error themselves). Throws PYTHON_NOT_FOUND when it is found but fails.
 */
export async function resolvePythonInterpreter(ctx: PythonContext, options: ResolvePythonOptions): Promise<PythonInterpreter | undefined> {
  const { command, probeModules = [] } = options
  const path = await findExecutable(command, ctx.env.PATH ?? '', options.cwd ?? ctx.cwd)
  if (!path) return undefined
  const cacheFile = join(ctx.stateDir, 'python.json')
  const key = JSON.stringify([path, ...KEY_ENV.map((k) => ctx.env[k] ?? '')])
  const cached = (await readCache(cacheFile))[key]
  if (cached && probeModules.every((m) => cached.modules?.[m]) && sameStamps(await stampsOf(cached.files), cached.stamps)) {
    return { command, path, executable: cached.executable, version: cached.version, modules: cached.modules, missing: {} }
  }

  const modules = [...new Set([...probeModules, ...Object.keys(cached?.modules ?? {})])]
  const result = await ctx.exec([path, '-c', PROBE, ...modules], { quiet: true, reject: false, timeoutMs: 60_000 })
  const answer = parseProbe(result.stdout)
  if (result.exitCode !== 0 || !answer) {
    const why = (result.stderr || result.stdout).trim().split('\n').pop() || `exit code ${result.exitCode}`
    throw new MlciError(ErrorCode.PYTHON_NOT_FOUND, `Python interpreter ${command} (${path}) does not work: ${why}`, { hint: options.hint })
  }
  const found: PythonInterpreter = { command, path, executable: answer.executable || path, version: answer.version, modules: answer.modules, missing: {} }
  for (const name of probeModules) if (!found.modules[name]) found.missing[name] = answer.missing[name] ?? 'not importable'
  // --dry-run promises no side effects: answer without remembering. A missing module is not
  // remembered either: installing it changes no file the entry would watch.
  if (!ctx.dryRun && !Object.keys(found.missing).length) {
    const files = [path, found.executable, ...Object.values(found.modules).map((m) => m.file).filter(Boolean), join(ctx.cwd, '.python-version')]
    const entry: CacheEntry = { command, path, executable: found.executable, version: found.version, modules: found.modules, files, stamps: await stampsOf(files) }
    await writeCache(cacheFile, key, entry).catch((e) => ctx.log.debug(`could not cache the interpreter: ${String(e)}`))
  }
  return found
}

interface ProbeAnswer {
  executable: string
  version: string
  modules: Record<string, PythonModule>
  missing: Record<string, string>
}

function parseProbe(stdout: string): ProbeAnswer | undefined {
  try {
    const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<ProbeAnswer>
    if (typeof answer.version !== 'string' || typeof answer.modules !== 'object' || !answer.modules) return undefined
    return { executable: String(answer.executable ?? ''), version: answer.version, modules: answer.modules, missing: answer.missing ?? {} }
  } catch {
    return undefined
  }
}

function sameStamps(a: string[], b: unknown): boolean {
  return Array.isArray(b) && a.length === b.length && a.every((s, i) => s === b[i])
}

/** Each file as `path:mtimeMs:size` (or `path:absent`). */
function stampsOf(files: unknown): Promise<string[]> {
  if (!Array.isArray(files)) return Promise.resolve(['invalid'])
  return Promise.all(files.map(async (file) => {
    const s = await stat(String(file)).catch(() => undefined)
    return s ? `${file}:${s.mtimeMs}:${s.size}` : `${file}:absent`
  }))
}

async function readCache(file: string): Promise<Record<string, CacheEntry>> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { schema?: number; entries?: Record<string, CacheEntry> }
    return parsed.schema === SCHEMA && parsed.entries && typeof parsed.entries === 'object' ? parsed.entries : {}
  } catch {
    return {}
  }
}

async function writeCache(file: string, key: string, entry: CacheEntry): Promise<void> {
  // Re-read: another plugin may have added its own entry meanwhile.
  const latest = await readCache(file)
  delete latest[key]
  const kept = Object.entries(latest).slice(-(MAX_ENTRIES - 1))
  await writeJsonAtomic(file, { schema: SCHEMA, entries: Object.fromEntries([...kept, [key, entry]]) })
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
