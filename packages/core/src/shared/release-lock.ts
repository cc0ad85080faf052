import { hostname } from 'node:os'
import type { RunContext } from '../context.js'
import type { PhaseName } from '../phases.js'
import { PgRegistryBackend } from '../registry/pg/backend.js'
import type { HeldReleaseLock } from '../registry/pg/release-lock.js'
import { ModelRegistry } from '../registry/registry.js'
import type { Registry } from '../registry/types.js'

/** From the gate on, a run decides against and changes what other runners see (live metrics, versions, aliases, deployments). */
const RELEASE_PHASES: ReadonlySet<PhaseName> = new Set(['gate', 'version', 'deploy', 'monitor', 'rollback'] as PhaseName[])

/**
 * Serialises releases of one model across runners that share a PostgreSQL registry: taken
 * before the gate (so it judges against the live version its release may replace), held to the
 * end of the run; test and train still run in parallel. With the embedded registry the repo
 * lock already serialises everything, so this does nothing.
 */
export class ReleaseGate {
  private held: HeldReleaseLock | undefined
  /** Shared with the run's context (ctx.releaseLock), so plugins can see when the lock is held. */
  readonly state = { held: false }

  constructor(private readonly registry: Registry, private readonly wait: boolean) {}

  async enter(phase: PhaseName, ctx: RunContext): Promise<void> {
    if (this.held || ctx.dryRun || !RELEASE_PHASES.has(phase)) return
    const backend = this.registry instanceof ModelRegistry ? this.registry.backend : undefined
    if (!(backend instanceof PgRegistryBackend)) return
    await backend.prepare()
    const { acquireReleaseLock } = await import('../registry/pg/release-lock.js')
    this.held = await acquireReleaseLock(backend.target, backend.model,
      { host: hostname(), pid: process.pid, runId: ctx.runId, command: ctx.options.command },
      { wait: this.wait, signal: ctx.signal, onWait: (who) => ctx.log.info(`Waiting for the release lock of ${backend.model}: held by ${who}.`) })
    this.state.held = true
  }

  async release(): Promise<void> {
    const held = this.held
    this.held = undefined
    this.state.held = false
    await held?.release()
  }
}
