import { ErrorCode, MlciError, findExecutable, type PhaseContext } from '@mlci/core'
import { stateFor } from './deploy.js'
import { programNotFound, serverCwd } from './launch.js'
import type { LocalOptions } from './options.js'
import { portFree } from './port.js'
import { isOurs } from './process.js'

/** Before any side effect: the server program exists and the port is free or ours (core calls it only when this run deploys). */
export async function verifyLocal(ctx: PhaseContext, options: LocalOptions): Promise<void> {
  const argv0 = options.command[0]
  const cwd = serverCwd(ctx, options)
  if (!(await findExecutable(argv0, ctx.env.PATH ?? '', cwd))) throw programNotFound(argv0, cwd)
  if (await portFree(options.host, options.port)) return
  const current = await stateFor(ctx).current()
  if (isOurs(current) && current!.port === options.port) return
  throw new MlciError(ErrorCode.VERIFY_FAILED, `Port ${options.port} on ${options.host} is in use by a process this project did not start.`, {
    hint: `Stop that process (\`ss -ltnp 'sport = :${options.port}'\` shows it), or set local({ port }) to a free port.`,
  })
}
