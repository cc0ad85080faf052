import { readFileSync } from 'node:fs'
import { ErrorCode, Journal, MlciError, errorMessage, isProcessAlive, type Mlci, type PendingStep, type PhaseContext } from '@mlci/core'
import { rollBack } from './rollback.js'

export type RecoveryOutcome = 'completed' | 'rolled-back' | 'abandoned' | 'superseded'

/**
 * Finish what a dead run left half done. Runs at `initialize`, under the repo lock, before any
 * phase. A `release` intent without a commit was left by a run that died (kill -9, power loss,
 * an interrupt) between starting its deploy and finishing; its later journal entries say how
 * far it got:
 *
 *   1. deployed (a `release.deployed` note) and no monitor was going to run → complete it:
 *      deploy the candidate again (a no-op when it already serves, healthy) and mark it ready.
 *   2. otherwise — it died during deploy, during monitor, or during its own rollback → roll
 *      back: to the target its rollback had picked, else to what was live before the release,
 *      else by the usual policy. The candidate is marked failed ("interrupted").
 *   3. nothing to return to (a first release) → the candidate is failed; if `live` names it,
 *      `live` is removed, so it never names a server nobody vouches for.
 *
 * A `rollback` intent without a commit (a rollback killed midway) is run again toward the same
 * target. Every resolved intent is committed with its outcome; only the newest of several
 * unfinished releases is acted on, older ones are superseded. The deployer makes "deploy X"
 * converge on exactly one server running X, whatever half-swapped state it finds.
 */
export async function recover(mlci: Mlci, ctx: PhaseContext): Promise<{ outcome: RecoveryOutcome; version: string } | undefined> {
  const journal = Journal.at(ctx.stateDir, { runId: ctx.runId })
  const pending = (await journal.pending((e) => (e.step === 'release' || e.step === 'rollback') && e.runId !== ctx.runId))
    .filter((p) => {
      if (!mlciStillRunning(p.intent.pid)) return true
      ctx.log.warn(`Run ${p.intent.runId} (pid ${p.intent.pid}) has an unfinished ${p.intent.step} but is still running; leaving it alone.`)
      return false
    })
  if (!pending.length) {
    await journal.rotate().catch(() => undefined)
    return undefined
  }
  if (ctx.dryRun) {
    ctx.log.warn(`An interrupted ${pending.at(-1)!.intent.step} (run ${pending.at(-1)!.intent.runId}) is waiting to be recovered; a dry run leaves it. Run \`mlci rollback\` or \`mlci build\`.`)
    return undefined
  }
  const releases = pending.filter((p) => p.intent.step === 'release')
  const newest = releases.at(-1)
  for (const old of releases.slice(0, -1)) {
    await failCandidate(ctx, String(old.intent.data?.candidate ?? ''), `release interrupted (run ${old.intent.runId}) and superseded`)
    await journal.commit(old.intent.id, 'release', { outcome: 'superseded', recoveredBy: ctx.runId })
  }
  let result: { outcome: RecoveryOutcome; version: string } | undefined
  if (newest) result = await recoverRelease(mlci, ctx, journal, newest)
  const handled = new Set(releases.map((r) => r.intent.runId))
  for (const orphan of pending.filter((p) => p.intent.step === 'rollback' && !handled.has(p.intent.runId))) {
    result = await recoverRollback(mlci, ctx, journal, orphan) ?? result
  }
  return result
}

async function recoverRelease(mlci: Mlci, ctx: PhaseContext, journal: Journal, step: PendingStep): Promise<{ outcome: RecoveryOutcome; version: string }> {
  const { intent, after } = step
  const data = intent.data as { candidate: string; from?: string; monitor?: boolean }
  const deployed = after.some((e) => e.step === 'release.deployed')
  const rollbackIntent = after.find((e) => e.type === 'intent' && e.step === 'rollback')
  const pickedTarget = after.filter((e) => e.step === 'rollback.target').at(-1)?.data?.to as string | undefined
  const why = `release of ${data.candidate} was interrupted during ${rollbackIntent ? 'its rollback' : deployed ? 'monitor' : 'deploy'} (run ${intent.runId}, pid ${intent.pid})`
  ctx.log.warn(`Found an unfinished release: ${why}. Recovering…`)
  let outcome: RecoveryOutcome | undefined
  let version = data.candidate

  if (deployed && !data.monitor && !rollbackIntent) {
    try {
      const record = await ctx.registry.get(data.candidate)
      await mlci.hooks.deploy.promise({ version: data.candidate, reason: 'release', record, note: `recovery: completing the ${why}` }, ctx)
      await ctx.release.released(data.candidate, `recovery: completing the ${why}`)
      outcome = 'completed'
      ctx.log.info(`Completed the release of ${data.candidate}: it serves and is live (no monitor was configured).`)
    } catch (error) {
      ctx.log.warn(`Could not complete the release of ${data.candidate} (${errorMessage(error)}); rolling back instead.`)
    }
  }
  if (!outcome) {
    try {
      const report = await rollBack(mlci, ctx, { mode: 'recovery', candidate: data.candidate, prefer: pickedTarget ?? data.from, reason: why })
      outcome = 'rolled-back'
      version = report.to!
    } catch (error) {
      if (!MlciError.is(error) || error.code !== ErrorCode.ROLLBACK_FAILED) throw error
      outcome = 'abandoned'
      await dropLive(ctx, data.candidate, why)
      ctx.log.error(`${error.message} The ${why}; nothing earlier is ready to serve.${error.details ? `\n${error.details}` : ''}`)
    }
  }
  if (rollbackIntent) await journal.commit(rollbackIntent.id, 'rollback', { outcome: 'recovered', recoveredBy: ctx.runId })
  await journal.commit(intent.id, 'release', { outcome, version, recoveredBy: ctx.runId })
  return { outcome, version }
}

async function recoverRollback(mlci: Mlci, ctx: PhaseContext, journal: Journal, step: PendingStep): Promise<{ outcome: RecoveryOutcome; version: string } | undefined> {
  const data = step.intent.data as { mode?: string; from?: string; candidates?: string[] }
  const target = (step.after.filter((e) => e.step === 'rollback.target').at(-1)?.data?.to as string | undefined) ?? data.candidates?.[0]
  const why = `a rollback${target ? ` to ${target}` : ''} was interrupted (run ${step.intent.runId}, pid ${step.intent.pid})`
  ctx.log.warn(`Found ${why}. Finishing it…`)
  let result: { outcome: RecoveryOutcome; version: string } | undefined
  try {
    const report = await rollBack(mlci, ctx, {
      mode: data.mode === 'manual' ? 'manual' : 'recovery', candidate: data.mode === 'manual' ? undefined : data.from, prefer: target, reason: why,
    })
    result = { outcome: 'rolled-back', version: report.to! }
  } catch (error) {
    if (!MlciError.is(error) || error.code !== ErrorCode.ROLLBACK_FAILED) throw error
    ctx.log.error(`${error.message}${error.details ? `\n${error.details}` : ''}`)
  }
  await journal.commit(step.intent.id, 'rollback', { outcome: result ? 'recovered' : 'failed', recoveredBy: ctx.runId })
  return result
}

async function failCandidate(ctx: PhaseContext, version: string, reason: string): Promise<void> {
  const record = version ? await ctx.registry.get(version).catch(() => undefined) : undefined
  if (record && record.status !== 'failed') await ctx.release.markFailed(version, reason).catch(() => undefined)
}

async function dropLive(ctx: PhaseContext, candidate: string, why: string): Promise<void> {
  if (!(await ctx.release.dropLive(candidate, `recovery: ${why}; nothing earlier to return to`))) return
  ctx.log.warn(`Removed the live alias from ${candidate}: it was never confirmed. Its server may still run; release again with \`mlci build\`.`)
}

/** An mlci process with this pid still exists (the lock normally rules this out). */
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
