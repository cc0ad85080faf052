import { join } from 'node:path'
import {
  ErrorCode, ExitCode, Journal, MlciError, ReleaseState, acquireLock, newRunId, releaseJournal, repairState, verifyState,
  type Mlci, type StateProblem, type VersionStatus,
} from '@mlci/core'
import type { ParsedArgs } from '../options.js'
import { openProject } from '../session.js'
import type { CommandIo } from './index.js'

const ACTIONS = ['verify', 'repair', 'mark'] as const
const USAGE = 'mlci registry verify | repair | mark <version> ready|failed --reason <text>'

/**
 * `mlci registry …`: what a person needs to inspect and repair release state without editing
 * files. verify changes nothing (exit 1 listing problems); repair fixes what is safe to fix;
 * mark overrides a version's status through the release state (ledgered, with a reason).
 */
export const STATE_ACTIONS: readonly string[] = ACTIONS
export const STATE_USAGE = USAGE

export async function runStateAction(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [action, ...rest] = args.positionals
  const mlci = await openProject(args, io.env)
  if (action === 'verify') return verify(mlci, args, io)
  // Writers take the repo lock, so a build or rollback never sees a half repair.
  const lock = await acquireLock(join(mlci.stateDir, 'lock'), { command: io.commandLine, wait: Boolean(args.flags['wait-for-lock']), signal: io.signal })
  try {
    return action === 'repair' ? await repair(mlci, args, io) : await mark(mlci, rest, args, io)
  } finally {
    await lock.release()
  }
}

function parts(mlci: Mlci, runId: string) {
  return { registry: mlci.registry, store: mlci.store, journal: Journal.at(mlci.stateDir, { runId }), releaseLog: releaseJournal(mlci.registry, mlci.stateDir, { runId }) }
}

async function verify(mlci: Mlci, args: ParsedArgs, io: CommandIo): Promise<number> {
  const found = await verifyState(parts(mlci, 'verify'))
  const problems = found.filter((p) => !p.note)
  if (args.flags.json) io.stdout.write(JSON.stringify({ ok: !problems.length, problems: found }, null, 2) + '\n')
  else {
    for (const p of found) io.stdout.write(line(p) + '\n')
    io.stdout.write(problems.length
      ? `${problems.length} problem(s)${problems.some((p) => p.repairable) ? '; `mlci registry repair` fixes the ones marked (repairable)' : ''}.\n`
      : 'Release state verified: blobs, aliases and journal are intact.\n')
  }
  return problems.length ? ExitCode.FAILED : ExitCode.OK
}

function line(p: StateProblem): string {
  return `${p.note ? 'note' : 'problem'}: ${p.subject}: ${p.problem}${p.repairable ? ' (repairable)' : ''}`
}

async function repair(mlci: Mlci, args: ParsedArgs, io: CommandIo): Promise<number> {
  const runId = newRunId()
  const release = new ReleaseState(mlci.registry, mlci.store, releaseJournal(mlci.registry, mlci.stateDir, { runId }), { by: io.commandLine, runId })
  const done = await repairState({ ...parts(mlci, runId), release })
  const left = (await verifyState(parts(mlci, 'verify'))).filter((p) => !p.note)
  if (args.flags.json) io.stdout.write(JSON.stringify({ repaired: done, remaining: left }, null, 2) + '\n')
  else {
    for (const d of done) io.stdout.write(`repaired: ${d}\n`)
    for (const p of left) io.stdout.write(`${line(p)} — not repaired: it needs a person (see the hint in the README)\n`)
    if (!done.length && !left.length) io.stdout.write('Nothing to repair.\n')
  }
  return left.length ? ExitCode.FAILED : ExitCode.OK
}

async function mark(mlci: Mlci, rest: string[], args: ParsedArgs, io: CommandIo): Promise<number> {
  const [version, status, ...extra] = rest
  const reason = typeof args.flags.reason === 'string' ? args.flags.reason.trim() : ''
  if (!version || (status !== 'ready' && status !== 'failed') || extra.length) {
    throw new MlciError(ErrorCode.USAGE, 'mlci registry mark needs a version and ready or failed.', { hint: 'For example: mlci registry mark 1.2.0 ready --reason "the failure was the load balancer, not the model"' })
  }
  if (!reason) throw new MlciError(ErrorCode.USAGE, 'mlci registry mark needs --reason: the ledger records why a person changed a status.', { hint: `For example: mlci registry mark ${version} ${status} --reason "…"` })
  const runId = newRunId()
  const release = new ReleaseState(mlci.registry, mlci.store, releaseJournal(mlci.registry, mlci.stateDir, { runId }), { by: io.commandLine, runId })
  const before = (await mlci.registry.get(version))?.status
  const doc = await release.mark(version, status as VersionStatus, reason)
  if (args.flags.json) io.stdout.write(JSON.stringify(doc, null, 2) + '\n')
  else io.stdout.write(`${doc.version}: ${before ?? '?'} → ${doc.status} (${reason})\n`)
  return ExitCode.OK
}
