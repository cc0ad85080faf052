import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  ErrorCode, Journal, MlciError, errorMessage, waitForHealthy,
  type DeployRequest, type PhaseContext,
} from '@mlci/core'
import { keptServerArgv } from './deployable.js'
import { launchEnv, prepareLaunch, materializeArtifacts, serverCwd } from './launch.js'
import type { LocalOptions } from './options.js'
import { probe, waitPortFree } from './port.js'
import { isOurs, startServer, stopServer, type ServerProcess, type StartedServer } from './process.js'
import { LocalState, type LaunchSpec } from './state.js'

export function stateFor(ctx: { stateDir: string }): LocalState {
  return new LocalState(join(ctx.stateDir, 'deploy', 'local'))
}

export function baseUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`
}

/**
 * Put `request.version` live as the one local server process:
 *
 *   already running healthy → no process change
 *   else: stop every server of ours (the port must be free) → start the version → wait healthy.
 *   unhealthy: stop it and restart what ran before (when that version is ready) from its kept
 *         launch spec (a restart, not a rebuild), then throw — never two servers, never the
 *         candidate that just failed.
 *
 * The deployer reports facts (ctx.data.deployment, or an error); core's release state moves
 * `live`/`previous` once the release is proven, and the rollback policy after a rollback.
 *
 * The swap is journaled (intent → commit/abort) so a run killed in the middle is visible to the
 * next one; state.json is rewritten right after each start, and every started process is also
 * recorded per version, so a later deploy finds and stops strays even if state.json lags.
 */
export async function deployLocal(request: DeployRequest, ctx: PhaseContext, options: LocalOptions): Promise<void> {
  const { version } = request
  const state = stateFor(ctx)
  const journal = Journal.at(ctx.stateDir, { runId: ctx.runId })
  const aliases = await ctx.registry.aliases()
  const current = await state.current()
  const running = isOurs(current) ? current : undefined
  const url = baseUrl(options.host, options.port)

  if (running?.version === version && running.port === options.port && await probe(url + options.health.path)) {
    const live = aliases.live === version
    publish(ctx, version, url, running, live)
    ctx.log.info(live
      ? `${version} is already live and healthy on ${url} (pid ${running.pid}); nothing to do.`
      : `${version} is already running and healthy on ${url} (pid ${running.pid}).`)
    return
  }

  const artifacts = request.record?.artifacts ?? (ctx.data.candidate?.version === version ? ctx.data.artifacts : undefined) ?? []
  // A rollback restarts the version exactly as it ran before (its argv and env, e.g. without a
  // fault injected into the release that failed); a release builds the spec from the options.
  const kept = request.reason === 'rollback' ? await state.launchSpec(version) : undefined
  let spec: LaunchSpec
  if (kept && kept.port === options.port && kept.host === options.host) {
    await materializeArtifacts(ctx.store, artifacts, state.versionDir(version), version)
    // The kept argv names the version's own copies of its server files: make sure they are there.
    await keptServerArgv(ctx.store, request.record?.deployable, options.command, ctx, serverCwd(ctx, options), state.versionDir(version))
    spec = kept
  } else {
    const deployable = request.record?.deployable ?? (ctx.data.candidate?.version === version ? ctx.data.deployable : undefined)
    spec = await prepareLaunch({ version, artifacts, options, ctx, state, deployable })
  }
  // Only a ready version is restarted after a failure: never the candidate that just failed.
  const restorable = running && (await ctx.registry.get(running.version).catch(() => undefined))?.status === 'ready'
  if (running && !restorable) ctx.log.info(`${running.version} runs now but is not ready; it will not be restarted if ${version} fails.`)
  const restore = running && restorable ? (await state.launchSpec(running.version)) ?? specOf(running) : undefined

  const swap = await journal.intent('local.swap', { from: running?.version, fromPid: running?.pid, to: version, port: options.port })
  let started: StartedServer | undefined
  try {
    await stopAll(state, options, ctx)
    started = await start(spec, state, options, ctx, journal)
    ctx.log.info(`Started ${version} (pid ${started.proc.pid}) on ${url}; waiting for ${options.health.path} to answer ${options.health.successes}× in a row…`)
    await healthy(started, options, ctx, ctx.signal)
  } catch (error) {
    ctx.log.warn(`${version} failed (${errorMessage(error)})${restore ? `; stopping it and restarting ${restore.version} from its kept command` : ''}.`)
    if (started) await stopServer(started.proc, options.stopTimeoutMs)
    await state.setCurrent(undefined)
    let restored: string | undefined
    let restoreError: unknown
    if (restore) {
      let again: StartedServer | undefined
      try {
        again = await start(restore, state, options, ctx, journal)
        // The version was serving a moment ago: give it at least 30 s to come back even when
        // releases use a tight timeout, since failing here leaves no server at all.
        await healthy(again, { ...options, health: { ...options.health, timeoutMs: Math.max(options.health.timeoutMs, 30_000) } }, ctx, new AbortController().signal)
        restored = restore.version
        ctx.log.info(`${restore.version} answers again on ${baseUrl(restore.host, restore.port)} (pid ${again.proc.pid}).`)
      } catch (e) {
        restoreError = e
        if (again) await stopServer(again.proc, options.stopTimeoutMs).catch(() => undefined)
        await state.setCurrent(undefined)
      }
    }
    await journal.abort(swap, 'local.swap', { error: errorMessage(error), restored }).catch(() => undefined)
    throw await failure(error, version, state, restore?.version, restored, restoreError)
  }
  await journal.commit(swap, 'local.swap', { pid: started.proc.pid })
  await state.prune(options.keep, [version, aliases.live, aliases.previous]).catch((e) => ctx.log.warn(`Could not prune old version folders: ${errorMessage(e)}`))
  publish(ctx, version, url, started.proc, false)
  ctx.log.info(`${version} is live on ${url} (pid ${started.proc.pid}, log ${started.proc.log}).`)
}

function specOf(proc: ServerProcess): LaunchSpec {
  return { version: proc.version, argv: proc.argv, cwd: proc.cwd, host: proc.host, port: proc.port, env: {}, createdAt: proc.startedAt }
}

/** Stop every server this project ever started that still runs (current and strays). */
export async function stopAll(state: LocalState, options: LocalOptions, ctx: PhaseContext): Promise<void> {
  for (const proc of await state.recordedProcesses()) {
    const outcome = await stopServer(proc, options.stopTimeoutMs)
    if (outcome === 'stopped' || outcome === 'killed') ctx.log.info(`Stopped ${proc.version} (pid ${proc.pid}${outcome === 'killed' ? ', SIGKILL after the grace period' : ''}).`)
  }
  await state.setCurrent(undefined)
}

async function start(spec: LaunchSpec, state: LocalState, options: LocalOptions, ctx: PhaseContext, journal: Journal): Promise<StartedServer> {
  if (!(await waitPortFree(spec.host, spec.port, 3000))) {
    throw new MlciError(ErrorCode.VERIFY_FAILED, `Port ${spec.port} on ${spec.host} is held by a process this project did not start.`, {
      hint: 'Stop that process, or give the local deployer another `port`.',
    })
  }
  const log = join(state.versionDir(spec.version), 'server.log')
  const started = await startServer({ version: spec.version, host: spec.host, port: spec.port, argv: spec.argv, cwd: spec.cwd, log }, launchEnv(spec, options, ctx.env))
  // Recorded before anything else can fail, so no later run loses track of this process.
  await state.setCurrent(started.proc)
  await journal.note('local.started', { version: spec.version, pid: started.proc.pid, startTime: started.proc.startTime })
  // Fault injection for tests: killed mid-deploy, the new server started and not yet proven healthy.
  if (process.env.MLCI_TEST_CRASH_AT === 'local-started') process.kill(process.pid, 'SIGKILL')
  return started
}

async function healthy(started: StartedServer, options: LocalOptions, ctx: PhaseContext, signal: AbortSignal): Promise<void> {
  const url = baseUrl(started.proc.host, started.proc.port)
  // Aborted by the run's signal, or when the server exits first (so the polling stops).
  const stop = new AbortController()
  try {
    await Promise.race([
      waitForHealthy({
        url: url + options.health.path, intervalMs: options.health.intervalMs, timeoutMs: options.health.timeoutMs,
        successes: options.health.successes, signal: AbortSignal.any([signal, stop.signal]),
        onProbe: (p) => ctx.log.status(p.ok ? `healthy ${p.streak}/${options.health.successes}` : `waiting (${p.status ? `HTTP ${p.status}` : p.error})`),
      }),
      started.exited.then((how) => Promise.reject(new MlciError(ErrorCode.UNHEALTHY, `the server exited (${how}) before it became healthy`))),
    ])
  } finally {
    stop.abort()
  }
}

async function failure(error: unknown, version: string, state: LocalState, before: string | undefined, restored: string | undefined, restoreError: unknown): Promise<MlciError> {
  const log = join(state.versionDir(version), 'server.log')
  const tail = await readFile(log, 'utf8').then((t) => collapseRepeats(t.trimEnd().split('\n').slice(-40)).slice(-12).join('\n'), () => '')
  const code = MlciError.is(error) ? error.code : ErrorCode.UNHEALTHY
  const after = restored
    ? `${restored} was restarted and answers again.`
    : before ? `Restarting ${before} failed too (${errorMessage(restoreError)}): no server is running.` : 'No earlier server was running.'
  return new MlciError(code, `Deploying ${version} failed: ${errorMessage(error).replace(/\.$/, '')}. ${after}`, {
    details: tail ? `Last lines of ${log}:\n\n${tail}` : undefined,
    hint: MlciError.is(error) && error.hint ? error.hint : `See ${log}.`,
    cause: error,
  })
}

/** A health-check loop logs the same line many times: show it once with a count. */
function collapseRepeats(lines: string[]): string[] {
  const out: string[] = []
  let count = 0
  lines.forEach((line, i) => {
    count++
    if (lines[i + 1] === line) return
    out.push(count > 1 ? `${line}   (×${count})` : line)
    count = 0
  })
  return out
}

function publish(ctx: PhaseContext, version: string, url: string, proc: ServerProcess, unchanged: boolean): void {
  ctx.data.deployment = { version, target: 'local', url, ref: `pid ${proc.pid}`, unchanged: unchanged || undefined }
}
