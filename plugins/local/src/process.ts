import { spawn, execFileSync } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCode, MlciError } from '@mlci/core'

/** A server process we started: enough to find it again from another mlci process. */
export interface ServerProcess {
  version: string
  pid: number
  /** Process group (= pid: the server leads its own group). */
  pgid: number
  /**
   * The kernel's start time of the process (/proc/<pid>/stat field 22, or `ps -o lstart`).
   * A pid alone may have been reused by an unrelated process since; pid + start time cannot.
   */
  startTime?: string
  host: string
  port: number
  argv: string[]
  cwd: string
  log: string
  startedAt: string
}

/** Start time of a live, non-zombie process, or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined
    return fields[19]
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || process.platform === 'linux') return undefined
  }
  try {
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** True when the recorded process is still running and is the very process we started. */
export function isOurs(proc: Pick<ServerProcess, 'pid' | 'startTime'> | undefined): boolean {
  if (!proc) return false
  const now = processStartTime(proc.pid)
  return now !== undefined && (proc.startTime === undefined || now === proc.startTime)
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

/**
 * Stop a server's whole process group: SIGTERM, wait up to `graceMs`, then SIGKILL. A leader
 * whose start time no longer matches is someone else's process and is left alone. When the
 * leader is gone but its group lingers, the group is still ours (Linux does not reuse a pid
 * while it names a live process group).
 */
export async function stopServer(proc: ServerProcess, graceMs: number): Promise<'stopped' | 'killed' | 'gone' | 'not-ours'> {
  const leaderTime = processStartTime(proc.pid)
  if (leaderTime !== undefined && proc.startTime !== undefined && leaderTime !== proc.startTime) return 'not-ours'
  if (!groupAlive(proc.pgid)) return 'gone'
  signalGroup(proc.pgid, 'SIGTERM')
  if (await waitGroupGone(proc.pgid, graceMs)) return 'stopped'
  signalGroup(proc.pgid, 'SIGKILL')
  if (await waitGroupGone(proc.pgid, 5000)) return 'killed'
  throw new MlciError(ErrorCode.EXEC_FAILED, `Process group ${proc.pgid} of version ${proc.version} survived SIGKILL.`, {
    hint: `Check \`ps -g ${proc.pgid}\`; a process stuck in the kernel (state D) cannot be killed.`,
  })
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // already gone
  }
}

export interface StartedServer {
  proc: ServerProcess
  /** Resolves with the exit code/signal if the server exits while this mlci process lives. */
  exited: Promise<string>
}

/**
 * Start the server as a supervised background process: its own session and process group
 * (detached), output appended to its log file, not waited for by mlci (unref) so it outlives
 * the run. Resolves once the process exists; health is the caller's business.
 */
export async function startServer(spec: Omit<ServerProcess, 'pid' | 'pgid' | 'startTime' | 'startedAt'>, env: NodeJS.ProcessEnv): Promise<StartedServer> {
  await mkdir(dirname(spec.log), { recursive: true })
  const out = openSync(spec.log, 'a')
  let child
  try {
    child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, env, detached: true, stdio: ['ignore', out, out] })
  } finally {
    closeSync(out)
  }
  child.unref()
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`))
  })
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', (error: NodeJS.ErrnoException) => reject(new MlciError(
      error.code === 'ENOENT' ? ErrorCode.EXEC_NOT_FOUND : ErrorCode.EXEC_FAILED,
      error.code === 'ENOENT' ? `Command not found: ${spec.argv[0]} (cwd ${spec.cwd})` : `Could not start ${spec.argv[0]}: ${error.message}`,
      { hint: 'Check the local deployer\'s `command` option.', cause: error },
    )))
  })
  const pid = child.pid!
  return {
    proc: { ...spec, pid, pgid: pid, startTime: processStartTime(pid), startedAt: new Date().toISOString() },
    exited,
  }
}
