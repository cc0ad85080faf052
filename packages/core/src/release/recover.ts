import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { PhaseContext } from '../context.js'
import { ErrorCode, MlciError, errorMessage } from '../errors.js'
import type { DeployRequest, RollbackRequest } from '../hooks.js'
import type { JournalLog, PendingStep } from '../journal/journal.js'
import { isProcessAlive } from '../process-alive.js'

export type RecoveryOutcome = 'completed' | 'rolled-back' | 'abandoned' | 'superseded' | 'withdrawn'

/** What recovery needs from the run: the deploy hook, and the rollback row (the policy lives in a plugin). */
export interface RecoveryActions {
  deploy(request: DeployRequest): Promise<void>
  /** Runs the rollback hook (journaled by core); undefined when no plugin handles rollbacks. */
  rollback?(request: RollbackRequest): Promise<void>
}

/**
 * The open release and rollback transactions of runs that died (kill -9, power loss, a runner
 * that vanished), oldest first. A run's own entries never count; an intent whose process still
 * runs on this host is left alone. On another host a PID means nothing: there the caller holds
 * the model's release lock, which no live runner could have let go mid-release.
 */
export async function unfinished(ctx: PhaseContext, journal: JournalLog): Promise<PendingStep[]> {
  const pending = await journal.pending((e) => (e.step === 'release' || e.step === 'rollback') && e.runId !== ctx.runId)
  return pending.filter((p) => {
    const host = p.intent.data?.host
    if (host !== undefined && host !== hostname()) return true
    if (!mlciStillRunning(p.intent.pid)) return true
    ctx.log.warn(`Run ${p.intent.runId} (pid ${p.intent.pid}) has an unfinished ${p.intent.step} but is still running; leaving it alone.`)
    return false
  })
}

/**
 * Finish what dead runs left half done, before any phase, under the repo lock (and the model's
 * release lock with a shared registry). A `release` intent without a commit was left by a run
 * that died between starting its deploy and finishing; its later entries say how far it got:
 *
 *   1. deployed (a `release.deployed` note) and no monitor was going to run → complete it:
 *      deploy the candidate again (a no-op when it already serves, healthy) and release it.
 *   2. otherwise — it died during deploy, during monitor, or during its own rollback → the
 *      candidate is failed ("interrupted") and the rollback policy brings back a version: the
 *      target its rollback had picked, else what was live before the release.
 *   3. nothing to return to (a first release) → `live` stops naming the candidate, so it never
 *      names a server nobody vouches for.
 *
 * A `rollback` intent without a commit (a rollback killed midway) is run again toward the same
 * target. Every resolved intent is committed with its outcome; only the newest of several
 * unfinished releases is acted on, older ones are superseded. Returns the version rolled back
 * to, if any (a `mlci rollback` after that has nothing more to do).
 */
export async function recover(ctx: PhaseContext, journal: JournalLog, pending: PendingStep[], actions: RecoveryActions): Promise<{ outcome: RecoveryOutcome; version: string } | undefined> {
  const releases = pending.filter((p) => p.intent.step === 'release')
  const newest = releases.at(-1)
  for (const old of releases.slice(0, -1)) {
    // An unproven candidate got no verdict: superseded, never failed for it.
    if (!old.after.some((e) => e.step === 'release.unproven')) await failCandidate(ctx, String(old.intent.data?.candidate ?? ''), `release interrupted (run ${old.intent.runId}) and superseded`)
    await journal.commit(old.intent.id, 'release', { outcome: 'superseded', recoveredBy: ctx.runId })
  }
  let result: { outcome: RecoveryOutcome; version: string } | undefined
  if (newest) result = await recoverRelease(ctx, journal, newest, actions)
  const handled = new Set(releases.map((r) => r.intent.runId))
  for (const orphan of pending.filter((p) => p.intent.step === 'rollback' && !handled.has(p.intent.runId))) {
    result = await recoverRollback(ctx, journal, orphan, actions) ?? result
  }
  return result
}

async function recoverRelease(ctx: PhaseContext, journal: JournalLog, step: PendingStep, actions: RecoveryActions): Promise<{ outcome: RecoveryOutcome; version: string } | undefined> {
  const { intent, after } = step
  const data = intent.data as { candidate: string; from?: string; monitor?: boolean }
  const deployed = after.some((e) => e.step === 'release.deployed')
  const unproven = after.find((e) => e.step === 'release.unproven')?.data as { why?: string; live?: string } | undefined
  if (unproven) return withdrawUnproven(ctx, journal, step, unproven, actions)
  const rollbackIntent = after.find((e) => e.type === 'intent' && e.step === 'rollback')
  const pickedTarget = after.filter((e) => e.step === 'rollback.target').at(-1)?.data?.to as string | undefined
  const where = intent.data?.host && intent.data.host !== hostname() ? ` on ${String(intent.data.host)}` : ''
  const why = `release of ${data.candidate} was interrupted during ${rollbackIntent ? 'its rollback' : deployed ? 'monitor' : 'deploy'} (run ${intent.runId}, pid ${intent.pid}${where})`
  ctx.log.warn(`Found an unfinished release: ${why}. Recovering…`)
  let outcome: RecoveryOutcome | undefined
  let version = data.candidate

  if (deployed && !data.monitor && !rollbackIntent) {
    try {
      const record = await ctx.registry.get(data.candidate)
      await actions.deploy({ version: data.candidate, reason: 'release', record, note: `recovery: completing the ${why}` })
      await ctx.release.released(data.candidate, `recovery: completing the ${why}`)
      outcome = 'completed'
      ctx.log.info(`Completed the release of ${data.candidate}: it serves and is live (no monitor was configured).`)
    } catch (error) {
      ctx.log.warn(`Could not complete the release of ${data.candidate} (${errorMessage(error)}); rolling back instead.`)
    }
  }
  if (!outcome) {
    await failCandidate(ctx, data.candidate, why)
    const to = await rollBack(ctx, actions, { trigger: 'recovery', failedPhase: 'recovery', candidate: data.candidate, prefer: pickedTarget ?? data.from, reason: why })
    if (to) {
      outcome = 'rolled-back'
      version = to
    } else {
      outcome = 'abandoned'
      if (await ctx.release.dropLive(data.candidate, `recovery: ${why}; nothing earlier to return to`)) {
        ctx.log.warn(`Removed the live alias from ${data.candidate}: it was never confirmed. Its server may still run; release again with \`mlci build\`.`)
      }
    }
  }
  if (rollbackIntent) await journal.commit(rollbackIntent.id, 'rollback', { outcome: 'recovered', recoveredBy: ctx.runId })
  await journal.commit(intent.id, 'release', { outcome, version, recoveredBy: ctx.runId })
  return { outcome, version }
}

/**
 * A release a run left serving unproven (its analysis could not decide, nothing rolled it back):
 * serve what `live` names again (the last proven version), without a verdict on the candidate —
 * it stays pending, and a build with the same inputs resumes and re-proves it. With nothing
 * proven to return to (a first release), the candidate keeps serving and the release stays open
 * until a later release settles it.
 */
async function withdrawUnproven(ctx: PhaseContext, journal: JournalLog, step: PendingStep, unproven: { why?: string; live?: string }, actions: RecoveryActions): Promise<{ outcome: RecoveryOutcome; version: string } | undefined> {
  const data = step.intent.data as { candidate: string; from?: string }
  const why = `${data.candidate} was left serving unproven by run ${step.intent.runId} (${unproven.why ?? 'its analysis could not decide'})`
  const target = (await ctx.registry.aliases()).live ?? unproven.live ?? data.from
  if (!target) {
    ctx.log.warn(`${why}; nothing proven to return to, so it keeps serving until a release settles it.`)
    return undefined
  }
  ctx.log.warn(`${why}. Serving ${target} (live) again; ${data.candidate} stays pending, not failed.`)
  const to = await rollBack(ctx, actions, { trigger: 'recovery', failedPhase: 'recovery', candidate: data.candidate, prefer: target, reason: why })
  if (!to) return undefined
  await journal.commit(step.intent.id, 'release', { outcome: 'withdrawn', version: to, recoveredBy: ctx.runId })
  return { outcome: 'withdrawn', version: to }
}

async function recoverRollback(ctx: PhaseContext, journal: JournalLog, step: PendingStep, actions: RecoveryActions): Promise<{ outcome: RecoveryOutcome; version: string } | undefined> {
  const data = step.intent.data as { mode?: string; from?: string }
  const target = step.after.filter((e) => e.step === 'rollback.target').at(-1)?.data?.to as string | undefined
  const why = `a rollback${target ? ` to ${target}` : ''} was interrupted (run ${step.intent.runId}, pid ${step.intent.pid})`
  ctx.log.warn(`Found ${why}. Finishing it…`)
  const to = await rollBack(ctx, actions, {
    ...(data.mode === 'manual'
      ? { trigger: 'manual' as const, failedPhase: 'manual' as const, candidate: undefined }
      : { trigger: 'recovery' as const, failedPhase: 'recovery' as const, candidate: data.from }),
    prefer: target, reason: why,
  })
  await journal.commit(step.intent.id, 'rollback', { outcome: to ? 'recovered' : 'failed', recoveredBy: ctx.runId })
  return to ? { outcome: 'rolled-back', version: to } : undefined
}

/** The rollback policy's target, or undefined when there is none (no policy, or nothing ready to return to). */
async function rollBack(ctx: PhaseContext, actions: RecoveryActions, request: RollbackRequest): Promise<string | undefined> {
  if (!actions.rollback) {
    ctx.log.warn('No plugin handles rollbacks in this project: nothing is brought back.')
    return undefined
  }
  try {
    await actions.rollback(request)
    return ctx.data.rollback?.ok ? ctx.data.rollback.to : undefined
  } catch (error) {
    if (!MlciError.is(error) || error.code !== ErrorCode.ROLLBACK_FAILED) throw error
    ctx.log.error(`${error.message} The ${request.reason ?? 'release'}; nothing earlier is ready to serve.${error.details ? `\n${error.details}` : ''}`)
    return undefined
  }
}

async function failCandidate(ctx: PhaseContext, version: string, reason: string): Promise<void> {
  const record = version ? await ctx.registry.get(version).catch(() => undefined) : undefined
  if (!record || record.status === 'failed') return
  try {
    await ctx.release.markFailed(version, reason)
    ctx.log.info(`Marked ${version} failed: ${reason}`)
  } catch (error) {
    ctx.log.warn(`Could not mark ${version} failed: ${errorMessage(error)}`)
  }
}

/** An mlci process with this pid still exists on this host (the lock normally rules this out). */
function mlciStillRunning(pid: number): boolean {
  // isProcessAlive: a killed run its parent has not reaped (a zombie) holds nothing. The
  // cmdline check: the pid may since belong to an unrelated process.
  if (pid === process.pid || !isProcessAlive(pid)) return false
  try {
    return /mlci|node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
  } catch {
    return false
  }
}
