import { ErrorCode, MlciError, errorMessage, waitForHealthy, type Journal, type PhaseContext } from '@mlci/core'
import { LABEL, type ContainerState, type DockerCli } from './docker-cli.js'
import type { ResolvedDockerOptions } from './options.js'

export interface SwapResult {
  containerId: string
  /** The stopped `-previous` container was restarted instead of creating one (a rollback). */
  reused: boolean
  /** Container start → healthy. */
  healthyMs: number
  /** The version now parked (stopped) as `<container>-previous`. */
  parked?: string
}

/** The container's literal env; handed to the docker client's own environment, never its argv. */
export function runEnv(options: ResolvedDockerOptions, version: string): Record<string, string> {
  return { PORT: String(options.port), MODEL_VERSION: version, ...options.env }
}

/** `docker run` arguments for a version, without the image. Env goes by name only (`--env NAME`): argv is world-readable in `ps`. */
export function runArguments(options: ResolvedDockerOptions, version: string): string[] {
  const env = runEnv(options, version)
  return [
    'run', '--detach', '--name', options.container, '--init',
    ...(options.network ? ['--network', options.network] : []),
    ...(options.ports ?? []).flatMap((p) => ['--publish', p]),
    // `no` until healthy: an unverified container must not come back by itself (docker restart,
    // host reboot) after mlci was killed mid-deploy. swapContainers sets the policy once healthy.
    '--restart', 'no',
    '--label', `${LABEL.name}=${options.name}`, '--label', `${LABEL.version}=${version}`,
    ...Object.keys(env).flatMap((k) => ['--env', k]),
    // `--env NAME` makes docker read the value from its own environment: it never shows in argv.
    ...(options.passEnv ?? []).flatMap((name) => ['--env', name]),
    ...(options.runArgs ?? []),
  ]
}

/**
 * Replace the running container by one serving `version`. The current container is stopped and
 * parked as `<container>-previous` (not removed) until the new one is healthy, so a failure is
 * undone by restarting it — no rebuild. If the parked container already runs the target image
 * (a rollback), it is restarted instead of creating a new one.
 */
export async function swapContainers(
  ctx: PhaseContext, docker: DockerCli, options: ResolvedDockerOptions, target: { imageId: string; version: string }, journal: Journal,
): Promise<SwapResult> {
  const { container, previousContainer, stagingContainer } = options
  await docker.remove(stagingContainer) // left over by an interrupted run
  const current = await docker.containerInspect(container)
  const parked = await docker.containerInspect(previousContainer)
  const reuse = parked && parked.imageId === target.imageId ? parked : undefined
  // Journaled: a run killed from here on leaves an open intent; the next deploy's reconcile step
  // (and the rollback plugin) put the container of the `live` version back.
  const swap = await journal.intent('docker.swap', { container, from: current?.version, to: target.version, image: target.imageId, reuse: Boolean(reuse) })
  if (parked && !reuse) await docker.remove(previousContainer)
  if (reuse) await docker.rename(previousContainer, stagingContainer)
  if (current) {
    ctx.log.info(`Stopping ${container} (${current.version ?? 'unknown version'}); it stays as ${previousContainer} until ${target.version} is healthy.`)
    await docker.stop(container, options.stopTimeout)
    await docker.rename(container, previousContainer)
  }

  const started = Date.now()
  try {
    if (ctx.signal.aborted) throw new MlciError(ErrorCode.INTERRUPTED, 'Interrupted before the new container started.')
    if (reuse) {
      ctx.log.info(`Restarting the kept container of ${target.version} (no rebuild).`)
      await docker.rename(stagingContainer, container)
      await docker.start(container)
    } else {
      await docker.run([...runArguments(options, target.version), target.imageId], { quiet: true, timeoutMs: 120_000, env: runEnv(options, target.version) })
    }
    await waitForHealthy({
      url: options.healthUrl, intervalMs: options.health?.intervalMs, timeoutMs: options.health?.timeoutMs,
      successes: options.health?.successes, signal: ctx.signal,
      onProbe: (p) => ctx.log.status(p.ok ? `healthy ${p.streak}/${options.health?.successes ?? 3}` : `waiting for ${options.healthUrl} (${p.error ?? `HTTP ${p.status}`})`),
    })
  } catch (error) {
    const failure = await restorePrevious(ctx, docker, options, target.version, current, error)
    await journal.abort(swap, 'docker.swap', { error: failure.message }).catch(() => undefined)
    throw failure
  }
  await docker.run(['update', '--restart', options.restart ?? 'unless-stopped', container], { quiet: true, timeoutMs: 30_000 })
  const now = await docker.containerInspect(container)
  await journal.commit(swap, 'docker.swap', { containerId: now?.id })
  return { containerId: now?.id ?? container, reused: Boolean(reuse), healthyMs: Date.now() - started, parked: current?.version }
}

/** Undo a failed swap: remove the new container, restart the parked one, report both. */
async function restorePrevious(
  ctx: PhaseContext, docker: DockerCli, options: ResolvedDockerOptions, version: string, previous: ContainerState | undefined, error: unknown,
): Promise<MlciError> {
  const { container, previousContainer } = options
  // Never bring back a version that is not ready (e.g. the candidate that just failed its monitor).
  if (previous?.version && (await ctx.registry.get(previous.version).catch(() => undefined))?.status !== 'ready') previous = undefined
  ctx.log.warn(`${version} failed: ${errorMessage(error)} ${previous ? `Restoring ${previous.version ?? previousContainer}…` : 'No previous container to restore.'}`)
  const t0 = Date.now()
  const logs = await docker.logsTail(container)
  await docker.remove(container)
  let restored = 'There was no previous container to restore.'
  if (previous) {
    try {
      await docker.rename(previousContainer, container)
      await docker.start(container)
      await waitForHealthy({ url: options.healthUrl, intervalMs: 100, successes: 1, timeoutMs: Math.min(options.health?.timeoutMs ?? 30_000, 15_000) })
      restored = `Restored ${previous.version ?? 'the previous container'}: it answers again (${Date.now() - t0} ms after the failure).`
      ctx.log.info(restored)
    } catch (restoreError) {
      restored = `Restoring ${previous.version ?? 'the previous container'} failed too: ${errorMessage(restoreError)}`
      ctx.log.error(restored)
    }
  }
  const interrupted = MlciError.is(error) && error.code === ErrorCode.INTERRUPTED
  return new MlciError(interrupted ? ErrorCode.INTERRUPTED : ErrorCode.UNHEALTHY,
    interrupted ? `Interrupted while deploying ${version}.` : `${version} did not become healthy: ${errorMessage(error)}`, {
      hint: 'Read the container log below; fix the server, or raise health.timeoutMs if it needs longer to start.',
      details: [restored, logs ? `Last lines of ${container}'s log:\n${logs}` : `${container} printed nothing.`].join('\n\n'),
      cause: error,
    })
}
