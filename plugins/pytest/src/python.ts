import { ErrorCode, MlciError, findExecutable, resolvePythonInterpreter, type PythonInterpreter, type RunContext } from '@mlci/core'

export const HOW_TO_SET = "Install Python 3 with pytest, or point mlci at an interpreter: pytest({ python: '/path/to/python' }) in mlci.config.ts, or the env var MLCI_PYTHON=/path/to/python."

/** Candidates in order: the `python` option, else $MLCI_PYTHON, else python3 then python. */
export function candidates(option: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (option) return [option]
  if (env.MLCI_PYTHON) return [env.MLCI_PYTHON]
  return ['python3', 'python']
}

/** The first candidate interpreter that exists, which must be able to import pytest (cached by core). */
export async function resolveInterpreter(ctx: RunContext, option: string | undefined): Promise<PythonInterpreter> {
  const tried = candidates(option, ctx.env)
  for (const command of tried) {
    const found = await resolvePythonInterpreter(ctx, { command, probeModules: ['pytest'], hint: HOW_TO_SET })
    if (!found) continue
    if (found.missing.pytest) {
      throw new MlciError(ErrorCode.PYTHON_NOT_FOUND, `pytest cannot be imported by ${command} (${found.executable}): ${found.missing.pytest}`, {
        hint: `Install it (${found.executable} -m pip install pytest), or use another interpreter: pytest({ python: '/path/to/python' }) or MLCI_PYTHON=/path/to/python.`,
      })
    }
    return found
  }
  throw notFound(ctx, option, tried)
}

/**
 * That a candidate interpreter exists, without starting it (a PATH lookup): what verify checks in
 * a build. Whether it imports pytest is asked when the tests run, so a build whose test phase is
 * restored from a cache (a fresh checkout hitting the shared cache) starts no Python at all.
 */
export async function locateInterpreter(ctx: RunContext, option: string | undefined): Promise<string> {
  const tried = candidates(option, ctx.env)
  for (const command of tried) {
    const path = await findExecutable(command, ctx.env.PATH ?? '', ctx.cwd)
    if (path) return path
  }
  throw notFound(ctx, option, tried)
}

function notFound(ctx: RunContext, option: string | undefined, tried: string[]): MlciError {
  const source = option ? ' (the pytest `python` option)' : ctx.env.MLCI_PYTHON ? ' (from MLCI_PYTHON)' : ''
  return new MlciError(ErrorCode.PYTHON_NOT_FOUND,
    `Python interpreter not found: tried ${tried.join(', ')}${source}${tried.some((t) => !t.includes('/')) ? ' on PATH' : ''}.`,
    { hint: HOW_TO_SET })
}
