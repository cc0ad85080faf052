import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isProcessAlive, type Logger } from '@mlci/core'

/** `mlci-docker-config-<pid>-<random>`: the PID tells a later run whether the owner is gone. */
const PREFIX = 'mlci-docker-config-'

/** A private (0700) DOCKER_CONFIG folder for one login; its name carries our PID. */
export function createDockerConfig(): Promise<string> {
  return mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`))
}

/**
 * Remove DOCKER_CONFIG folders (each holding a registry password) that runs killed with
 * SIGKILL left behind, after killing any docker process still using one (an orphaned push or
 * pull keeps running when mlci dies: it is in its own process group).
 */
export async function removeLeftoverConfigs(log: Logger): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[])
  const leftovers = names.filter((name) => {
    const pid = Number(/^mlci-docker-config-(\d+)-/.exec(name)?.[1])
    return pid && pid !== process.pid && !isProcessAlive(pid)
  }).map((name) => join(tmpdir(), name))
  if (!leftovers.length) return
  for (const pid of await processesUsing(leftovers)) {
    try {
      process.kill(pid, 'SIGKILL')
      log.warn(`Killed PID ${pid}, a docker command left running by an mlci run that died.`)
    } catch {
      // gone meanwhile
    }
  }
  for (const dir of leftovers) await rm(dir, { recursive: true, force: true })
  log.info(`Removed ${leftovers.length} registry login folder(s) left by runs that were killed.`)
}

/** PIDs whose environment sets DOCKER_CONFIG to one of `dirs` (Linux /proc; none elsewhere). */
async function processesUsing(dirs: string[]): Promise<number[]> {
  const wanted = new Set(dirs.map((d) => `DOCKER_CONFIG=${d}`))
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n))
  const out: number[] = []
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')
    if (environ.split('\0').some((entry) => wanted.has(entry))) out.push(Number(pid))
  }
  return out
}
