import { Journal, type DeployRequest, type Mlci, type PhaseContext, type RunContext } from '@mlci/core'

/**
 * The `release` transaction of each run: opened when a release deploy starts (with what was
 * live before it, and whether a monitor will judge it), noted when the deploy succeeded,
 * committed when the run succeeds or its rollback ends. A run that dies in between leaves it
 * open for the next run's recovery (recover.ts).
 *
 * It is written from tapable interceptors on the deploy hook rather than from taps: `call`
 * fires before the first deployer tap and `done` after the last one succeeded, and they show
 * up neither as tasks in the UI nor in `mlci plugins`. Interceptors are synchronous, hence the
 * sync journal writes and `live` captured at initialize (nothing else moves it before deploy).
 */
export class ReleaseJournal {
  private readonly open_ = new Map<string, { id: string; version: string }>()
  private readonly liveAtStart = new Map<string, string | undefined>()
  /** Runs recovering a dead run's release: their redeploys belong to that release, not a new one. */
  private readonly recovering = new Set<string>()

  /** Install the interceptors; `willMonitor` says whether the run analyses the release after deploying it. */
  attach(mlci: Mlci, willMonitor: (ctx: PhaseContext) => boolean): void {
    let current: { request: DeployRequest; ctx: PhaseContext } | undefined
    mlci.hooks.deploy.intercept({
      call: (request, ctx) => {
        current = { request, ctx }
        if (request.reason !== 'release' || ctx.dryRun || this.open_.has(ctx.runId) || this.recovering.has(ctx.runId)) return
        const id = Journal.at(ctx.stateDir, { runId: ctx.runId }).intentSync('release', {
          candidate: request.version, from: this.liveAtStart.get(ctx.runId), monitor: willMonitor(ctx),
        })
        this.open_.set(ctx.runId, { id, version: request.version })
      },
      done: () => {
        if (current?.request.reason !== 'release' || !this.open_.has(current.ctx.runId)) return
        const { ctx, request } = current
        Journal.at(ctx.stateDir, { runId: ctx.runId }).noteSync('release.deployed', { version: request.version, deployment: ctx.data.deployment })
      },
    })
  }

  async whileRecovering<T>(ctx: RunContext, fn: () => Promise<T>): Promise<T> {
    this.recovering.add(ctx.runId)
    try {
      return await fn()
    } finally {
      this.recovering.delete(ctx.runId)
    }
  }

  /** Remember what is live as a run starts (after any recovery). */
  async start(ctx: RunContext): Promise<void> {
    this.liveAtStart.set(ctx.runId, (await ctx.registry.aliases()).live)
  }

  /** `unproven`: the analysis could not decide (Error/Inconclusive) and the candidate was left as it is. */
  async end(ctx: RunContext, outcome: 'released' | 'rolled-back' | 'rollback-failed' | 'unproven'): Promise<void> {
    this.liveAtStart.delete(ctx.runId)
    const txn = this.open_.get(ctx.runId)
    if (!txn) return
    this.open_.delete(ctx.runId)
    await Journal.at(ctx.stateDir, { runId: ctx.runId }).commit(txn.id, 'release', { outcome, version: txn.version })
  }

  /** The candidate of this run's open release, if any. */
  open(ctx: RunContext): string | undefined {
    return this.open_.get(ctx.runId)?.version
  }

  /** Leave the release open on disk for the next run to recover. */
  forget(ctx: RunContext): void {
    this.open_.delete(ctx.runId)
    this.liveAtStart.delete(ctx.runId)
  }
}
