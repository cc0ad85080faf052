import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testdir } from '../../../test/helpers/testdir.js'
import { createExec } from './exec.js'
import { createLogger } from './logger.js'
import { findExecutable, resolvePythonInterpreter } from './python.js'
import { Redactor } from './redact.js'

// The real interpreter, behind a PATH shim that logs every launch (like a pyenv shim).
const REAL_PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()

function project(script = `exec '${REAL_PYTHON}' "$@"`, options: { dryRun?: boolean } = {}) {
  const dir = testdir()
  const bin = join(dir, 'bin')
  const launches = join(dir, 'launches.log')
  const shim = join(bin, 'python3')
  mkdirSync(bin)
  writeFileSync(shim, `#!/bin/sh\necho launch >> '${launches}'\n${script}\n`)
  chmodSync(shim, 0o755)
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, PYENV_VERSION: '', VIRTUAL_ENV: '', CONDA_PREFIX: '' }
  const redactor = new Redactor([])
  const log = createLogger({ log: () => undefined, progress: () => undefined }, redactor)
  const exec = createExec({ cwd: dir, env, signal: new AbortController().signal, logger: log, redact: (t) => redactor.redact(t) })
  const ctx = { cwd: dir, stateDir: join(dir, '.mlci'), env, exec, log, dryRun: options.dryRun ?? false }
  const launchCount = () => (existsSync(launches) ? readFileSync(launches, 'utf8').trim().split('\n').length : 0)
  return { dir, shim, ctx, launchCount }
}

describe('resolvePythonInterpreter', () => {
  it('finds the real interpreter behind a shim once; a cache hit starts no process until a file changes', async () => {
    const { shim, ctx, launchCount } = project()
    const first = await resolvePythonInterpreter(ctx, { command: 'python3' })
    expect(first).toMatchObject({ command: 'python3', path: shim, executable: REAL_PYTHON, modules: {}, missing: {} })
    expect(first?.version).toMatch(/^3\.\d+\.\d+$/)
    expect(launchCount()).toBe(1)
    expect(JSON.parse(readFileSync(join(ctx.stateDir, 'python.json'), 'utf8')).schema).toBe(2)

    expect(await resolvePythonInterpreter(ctx, { command: 'python3' })).toEqual(first)
    expect(launchCount()).toBe(1)

    // The shim changed (pyenv rehash, a new version): ask again.
    utimesSync(shim, new Date(), new Date(Date.now() + 5_000))
    expect(await resolvePythonInterpreter(ctx, { command: 'python3' })).toEqual(first)
    expect(launchCount()).toBe(2)
  })

  it('probes modules; answers for different callers share one entry without dropping each other', async () => {
    const { shim, ctx, launchCount } = project()
    const withJson = await resolvePythonInterpreter(ctx, { command: 'python3', probeModules: ['json'] })
    expect(withJson?.modules.json.file).toMatch(/json[\\/]__init__\.py$/)
    expect(launchCount()).toBe(1)
    // A caller without modules is served by that entry (as the trainer is by pytest's).
    expect(await resolvePythonInterpreter(ctx, { command: 'python3' })).toMatchObject({ executable: REAL_PYTHON })
    expect(launchCount()).toBe(1)
    // When it has to probe again, it asks for json too, so the json caller still hits afterwards.
    utimesSync(shim, new Date(), new Date(Date.now() + 5_000))
    await resolvePythonInterpreter(ctx, { command: 'python3' })
    expect(launchCount()).toBe(2)
    expect(await resolvePythonInterpreter(ctx, { command: 'python3', probeModules: ['json'] })).toMatchObject({ modules: { json: withJson?.modules.json } })
    expect(launchCount()).toBe(2)
  })

  it('reports a module that does not import, and does not cache that answer', async () => {
    const { ctx, launchCount } = project()
    const found = await resolvePythonInterpreter(ctx, { command: 'python3', probeModules: ['mlci_no_such_module'] })
    expect(found?.missing.mlci_no_such_module).toBe("ModuleNotFoundError: No module named 'mlci_no_such_module'")
    await resolvePythonInterpreter(ctx, { command: 'python3', probeModules: ['mlci_no_such_module'] })
    expect(launchCount()).toBe(2)
    expect(existsSync(join(ctx.stateDir, 'python.json'))).toBe(false)
  })

  it('undefined when the command is not found; PYTHON_NOT_FOUND with the caller\'s hint when it does not run', async () => {
    const { ctx } = project('echo "pyenv: python3: command not found" >&2; exit 127')
    expect(await resolvePythonInterpreter(ctx, { command: 'python-mlci-nope' })).toBeUndefined()
    expect(await resolvePythonInterpreter(ctx, { command: './venv/bin/python' })).toBeUndefined()
    await expect(resolvePythonInterpreter(ctx, { command: 'python3', hint: 'set MLCI_PYTHON' })).rejects.toMatchObject({
      code: 'MLCI_PYTHON_NOT_FOUND',
      message: expect.stringContaining('does not work: pyenv: python3: command not found'),
      hint: 'set MLCI_PYTHON',
    })
  })

  it('--dry-run answers without writing the cache', async () => {
    const { ctx } = project(undefined, { dryRun: true })
    expect(await resolvePythonInterpreter(ctx, { command: 'python3' })).toMatchObject({ executable: REAL_PYTHON })
    expect(existsSync(ctx.stateDir)).toBe(false)
  })
})

describe('findExecutable', () => {
  it('finds a bare name on PATH and a relative path from cwd, only when executable', async () => {
    const { dir, shim } = project()
    expect(await findExecutable('python3', `${join(dir, 'nope')}:${join(dir, 'bin')}`, '/')).toBe(shim)
    expect(await findExecutable('./bin/python3', '', dir)).toBe(shim)
    chmodSync(shim, 0o644)
    expect(await findExecutable('python3', join(dir, 'bin'), '/')).toBeUndefined()
  })
})
