import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { ErrorCode, MlciError } from '@mlci/core'

const run = promisify(execFile)

/** Where a command's argv[0] resolves to (PATH lookup for bare names), or undefined. */
export async function findExecutable(argv0: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const candidates = argv0.includes('/')
    ? [isAbsolute(argv0) ? argv0 : resolve(cwd, argv0)]
    : (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, argv0))
  for (const file of candidates) {
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file
  }
  return undefined
}

/**
 * The program to put in a kept launch spec. A bare `python3` is often a pyenv shim (a shell
 * script adding ~75 ms per start and re-resolving the version each time): ask it once for the
 * real interpreter, so a rollback restart starts the same Python immediately.
 */
export function createInterpreterResolver(cwd: string, env: NodeJS.ProcessEnv): (argv0: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>()
  return (argv0) => {
    let hit = cache.get(argv0)
    if (!hit) {
      hit = (async () => {
        const found = await findExecutable(argv0, cwd, env)
        if (!found) {
          throw new MlciError(ErrorCode.EXEC_NOT_FOUND, `The local deployer's command ${argv0} was not found${argv0.includes('/') ? ` (from ${cwd})` : ' on PATH'}.`, {
            hint: 'Install it, or set the `command` option of @mlci/plugin-local to the full path of the server program.',
          })
        }
        if (!/^python(\d+(\.\d+)?)?$/.test(argv0)) return found
        const { stdout } = await run(found, ['-c', 'import sys; print(sys.executable)'], { cwd, env, timeout: 10_000 }).catch(() => ({ stdout: '' }))
        return stdout.trim() || found
      })()
      cache.set(argv0, hit)
    }
    return hit
  }
}
