import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ErrorCode, MlciError, errorMessage, writeFileAtomic, writeJsonAtomic } from '@mlci/core'
import type { ServerProcess } from './process.js'

/** How to start one version again without rebuilding anything (kept per version). */
export interface LaunchSpec {
  version: string
  /** Final argv, placeholders filled, interpreter resolved. */
  argv: string[]
  cwd: string
  host: string
  port: number
  /**
   * The plugin's `env` option at release time. Values of secret-looking names are stored as
   * null and taken from the current options/environment when restarting.
   */
  env: Record<string, string | null>
  createdAt: string
}

/**
 * The local deployer's files under `.mlci/deploy/local/`:
 *   state.json            { current: ServerProcess } — the one server that should be running
 *   server.pid            its pid (for humans and `kill $(cat …)`)
 *   <version>/launch.json LaunchSpec, kept so a rollback is a restart, not a rebuild
 *   <version>/process.json the last process started for that version (found again if a run
 *                          died before updating state.json)
 *   <version>/server.log  the server's stdout and stderr
 *   <version>/artifacts/… the version's artifacts, restored from the content store
 */
export class LocalState {
  constructor(readonly dir: string) {}

  versionDir(version: string): string {
    return join(this.dir, version.replace(/[^A-Za-z0-9._+-]/g, '_'))
  }

  get stateFile(): string {
    return join(this.dir, 'state.json')
  }

  async current(): Promise<ServerProcess | undefined> {
    const state = await this.readJson<{ current?: ServerProcess }>(this.stateFile)
    return state?.current
  }

  async setCurrent(proc: ServerProcess | undefined): Promise<void> {
    await writeJsonAtomic(this.stateFile, { schema: 1, current: proc })
    if (proc) {
      await writeFileAtomic(join(this.dir, 'server.pid'), `${proc.pid}\n`)
      await writeJsonAtomic(join(this.versionDir(proc.version), 'process.json'), proc)
    } else {
      await rm(join(this.dir, 'server.pid'), { force: true })
    }
  }

  async launchSpec(version: string): Promise<LaunchSpec | undefined> {
    return this.readJson<LaunchSpec>(join(this.versionDir(version), 'launch.json'))
  }

  async saveLaunchSpec(spec: LaunchSpec): Promise<void> {
    await writeJsonAtomic(join(this.versionDir(spec.version), 'launch.json'), spec)
  }

  /** Every process ever recorded (current and per-version), to hunt down strays. */
  async recordedProcesses(): Promise<ServerProcess[]> {
    const out: ServerProcess[] = []
    const current = await this.current()
    if (current) out.push(current)
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const proc = await this.readJson<ServerProcess>(join(this.dir, name, 'process.json')).catch(() => undefined)
      if (proc && !out.some((p) => p.pid === proc.pid && p.startTime === proc.startTime)) out.push(proc)
    }
    return out
  }

  /** Remove the folders of all but the newest `keep` versions (never `protect`ed ones). */
  async prune(keep: number, protect: (string | undefined)[]): Promise<void> {
    const keepDirs = new Set(protect.filter(Boolean).map((v) => this.versionDir(v!)))
    const dirs: { path: string; mtime: number }[] = []
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const path = join(this.dir, name)
      const s = await stat(path).catch(() => undefined)
      if (s?.isDirectory() && !keepDirs.has(path)) dirs.push({ path, mtime: s.mtimeMs })
    }
    dirs.sort((a, b) => b.mtime - a.mtime)
    for (const d of dirs.slice(Math.max(0, keep - keepDirs.size))) await rm(d.path, { recursive: true, force: true })
  }

  private async readJson<T>(file: string): Promise<T | undefined> {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    try {
      return JSON.parse(text) as T
    } catch (error) {
      throw new MlciError(ErrorCode.STATE_CORRUPT, `${file} is not valid JSON (${errorMessage(error)}).`, {
        hint: 'It is written atomically, so it was edited or damaged by hand. Stop any server it names (see server.pid), then delete the file.',
      })
    }
  }
}
