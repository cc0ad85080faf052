import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { waitUntil } from '../helpers/wait.js'

/** The newest run record of a project (throws when there is none: a run must leave one). */
export function lastRecord(dir: string): Record<string, any> {
  const runs = join(dir, '.mlci', 'runs')
  const file = readdirSync(runs).filter((f) => f.endsWith('.json')).sort().pop()
  if (!file) throw new Error(`no run record in ${runs}`)
  return JSON.parse(readFileSync(join(runs, file), 'utf8'))
}

export function lockExists(dir: string): boolean {
  return existsSync(join(dir, '.mlci', 'lock'))
}

/** True while a process with this PID exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Wait (polling) until the process is gone; false when it still runs after `ms`. */
export async function gone(pid: number, ms = 3000): Promise<boolean> {
  return waitUntil(() => !alive(pid), `process ${pid} is gone`, ms).then(() => true, () => false)
}
