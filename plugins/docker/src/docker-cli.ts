import { createExec, type Exec, type ExecOptions, type ExecResult, type RunContext } from '@mlci/core'

/** What mlci needs to know about a container. */
export interface ContainerState {
  id: string
  name: string
  running: boolean
  /** Full image ID (`sha256:…`). */
  imageId: string
  /** The model version it serves (our label), if it is ours. */
  version?: string
}

export interface ImageState {
  id: string
  created: string
  repoTags: string[]
  repoDigests: string[]
  labels: Record<string, string>
}

/** Labels mlci puts on its images and containers. */
export const LABEL = {
  name: 'io.mlci.name',
  version: 'io.mlci.version',
  modelDigest: 'io.mlci.model.digest',
} as const

/**
 * The `docker` CLI as argv calls through ctx.exec (so DOCKER_HOST, DOCKER_CONFIG and the run's
 * redaction apply). Read-only calls are quiet; their JSON would only clutter the log.
 */
export class DockerCli {
  private readonly cleanupExec: Exec

  constructor(private readonly ctx: RunContext, private readonly env: Record<string, string | undefined> = {}) {
    // Restoring the previous container must still work after Ctrl-C aborted the run's signal.
    this.cleanupExec = createExec({ cwd: ctx.cwd, env: ctx.env, signal: new AbortController().signal, logger: ctx.log, redact: ctx.redact })
  }

  run(args: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.ctx.exec(['docker', ...args], { ...options, env: { ...this.env, ...options.env } })
  }

  /** Same as run(), but not cancelled by the run's abort signal: for cleanup and restore. */
  runUninterruptible(args: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.cleanupExec(['docker', ...args], { timeoutMs: 60_000, ...options, env: { ...this.env, ...options.env } })
  }

  async imageInspect(ref: string): Promise<ImageState | undefined> {
    const result = await this.run(['image', 'inspect', '--format', '{{json .}}', ref], { reject: false, quiet: true, timeoutMs: 30_000 })
    if (result.exitCode !== 0) return undefined
    const raw = JSON.parse(result.stdout) as { Id: string; Created: string; RepoTags?: string[]; RepoDigests?: string[]; Config?: { Labels?: Record<string, string> | null } }
    return { id: raw.Id, created: raw.Created, repoTags: raw.RepoTags ?? [], repoDigests: raw.RepoDigests ?? [], labels: raw.Config?.Labels ?? {} }
  }

  async containerInspect(name: string): Promise<ContainerState | undefined> {
    const result = await this.run(['container', 'inspect', '--format', '{{json .}}', name], { reject: false, quiet: true, timeoutMs: 30_000 })
    if (result.exitCode !== 0) return undefined
    const raw = JSON.parse(result.stdout) as { Id: string; Name: string; Image: string; State: { Running: boolean }; Config: { Labels?: Record<string, string> | null } }
    return { id: raw.Id, name: raw.Name.replace(/^\//, ''), running: raw.State.Running, imageId: raw.Image, version: raw.Config.Labels?.[LABEL.version] }
  }

  /** Tail of a container's log (stdout and stderr), for error details. */
  async logsTail(name: string, lines = 30): Promise<string> {
    const result = await this.runUninterruptible(['logs', '--tail', String(lines), name], { reject: false, quiet: true, timeoutMs: 10_000 })
    return (result.stdout + result.stderr).trimEnd()
  }

  async remove(name: string): Promise<void> {
    await this.runUninterruptible(['rm', '-f', name], { reject: false, quiet: true })
  }

  async rename(from: string, to: string): Promise<void> {
    await this.runUninterruptible(['rename', from, to], { quiet: true })
  }

  async stop(name: string, timeoutSec: number): Promise<void> {
    await this.runUninterruptible(['stop', '--time', String(timeoutSec), name], { quiet: true, timeoutMs: (timeoutSec + 30) * 1000 })
  }

  async start(name: string): Promise<void> {
    await this.runUninterruptible(['start', name], { quiet: true })
  }
}
