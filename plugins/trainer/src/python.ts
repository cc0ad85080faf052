import { basename } from 'node:path'
import { ErrorCode, MlciError, resolvePythonInterpreter, type RunContext } from '@mlci/core'

// When the training command starts with `python`/`python3`, spawn the real interpreter instead of
// a (pyenv) shim; core finds it once and caches it (shared with the pytest plugin's answer).
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
  const found = await resolvePythonInterpreter(ctx, { command, cwd, hint: HOW_TO_SET })
  if (!found) throw notFound(command, argv0)
  return found.executable
}

const HOW_TO_SET = 'Install it or put it on PATH, or give its full path as the first element of trainer({ command }) (or set MLCI_PYTHON=/path/to/python for python commands).'

export function notFound(command: string, argv0: string): MlciError {
  const via = command !== argv0 ? ` (MLCI_PYTHON, replacing ${argv0})` : ''
  return new MlciError(ErrorCode.EXEC_NOT_FOUND, `Training command not found: ${command}${via}${command.includes('/') ? '' : ' on PATH'}.`, { hint: HOW_TO_SET })
}
