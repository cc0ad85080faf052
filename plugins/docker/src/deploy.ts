import { Journal, errorMessage, waitForHealthy, type DeployRequest, type DeploymentInfo, type ModelVersion, type PhaseContext, type RunContext } from '@mlci/core'
import { buildImage } from './build-image.js'
import { DockerCli, LABEL } from './docker-cli.js'
import { ensureEngine } from './engine.js'
import { imageRepository, imageTag } from './image-tag.js'
import { locateImage, type LocatedImage } from './locate-image.js'
import type { ResolvedDockerOptions } from './options.js'
import { pruneImages } from './prune-images.js'
import { reconcileContainers } from './reconcile.js'
import { pushImage, withRegistryLogin } from './registry-login.js'
import { swapContainers } from './swap-containers.js'

interface DeployImage extends LocatedImage {
  pushed?: string
}

/**
 * The deploy tap: release (build → push → swap → health) or rollback (the recorded image by
 * digest → swap → health). A version already running healthy is a no-op. It reports facts
 * (ctx.data.deployment, or an error); core's release state moves `live`/`previous`.
 */
export async function deployVersion(request: DeployRequest, ctx: PhaseContext, options: ResolvedDockerOptions, addSecret: (secret: string) => void): Promise<DeploymentInfo> {
  const { version } = request
  const docker = new DockerCli(ctx)
  await ensureEngine(docker, ctx.env)
  const journal = Journal.at(ctx.stateDir, { runId: ctx.runId })
  const record = request.record ?? (await ctx.registry.get(version))
  const aliases = await ctx.registry.aliases()
  await reconcileContainers(ctx, docker, options, aliases.live)

  const current = await docker.containerInspect(options.container)
  if (current?.running && current.version === version && (await answers(options.healthUrl))) {
    const info = deploymentInfo(options, version, current.id, { id: current.imageId, repository: record?.image?.name ?? imageRepository(options.image, options.registry?.url), tag: record?.image?.tag ?? imageTag(version) })
    if (aliases.live === version) {
      ctx.log.info(`${version} is already live and healthy in container ${options.container}: nothing to deploy.`)
      return (ctx.data.deployment = { ...info, unchanged: true })
    }
    // Serving but not yet live (a run stopped before the release was proven): report it as deployed.
    ctx.log.info(`${version} already runs healthy in ${options.container}.`)
    return (ctx.data.deployment = info)
  }

  const image = request.reason === 'rollback'
    ? await locateImage(ctx, docker, options, version, record, addSecret)
    : await releaseImage(ctx, docker, options, version, record, addSecret, journal)
  const swap = await swapContainers(ctx, docker, options, { imageId: image.id, version }, journal)
  ctx.log.info(`${version} is healthy in ${options.container} (${swap.reused ? 'restarted the kept container' : `image ${image.id.slice(7, 19)}`}, healthy after ${swap.healthyMs} ms).`)
  ctx.data.deployment = deploymentInfo(options, version, swap.containerId, image)
  // Pruning waits for the verdict (see index.ts: done/failed), so it never removes what a
  // rollback of this release may need.
  return ctx.data.deployment
}

/**
 * Remove old images once the run's verdict is in: never the image of a ready version (a
 * rollback target) or of what runs now; failed versions' images go first.
 */
export async function pruneAfterVerdict(ctx: RunContext, options: ResolvedDockerOptions): Promise<void> {
  try {
    const docker = new DockerCli(ctx as PhaseContext)
    const versions = await ctx.registry.list()
    const ready = versions.filter((v) => v.status === 'ready').map((v) => v.image?.digest)
    const failed = versions.filter((v) => v.status === 'failed').map((v) => v.image?.digest).filter((d): d is string => Boolean(d))
    await pruneImages(ctx as PhaseContext, docker, options, ready, failed)
  } catch (error) {
    ctx.log.warn(`Pruning old images failed (the deploy itself succeeded): ${errorMessage(error)}`)
  }
}

/** Build (or reuse the image already built for this version), push, record it in the registry. */
async function releaseImage(
  ctx: PhaseContext, docker: DockerCli, options: ResolvedDockerOptions, version: string, record: ModelVersion | undefined, addSecret: (secret: string) => void,
  journal: Journal,
): Promise<DeployImage> {
  const repository = imageRepository(options.image, options.registry?.url)
  const known = record?.image?.digest ? await docker.imageInspect(record.image.digest) : undefined
  let image: DeployImage
  if (known && known.labels[LABEL.version] === version) {
    ctx.log.info(`Reusing the image built for ${version} earlier (${known.id.slice(7, 19)}).`)
    image = { id: known.id, repository: record!.image!.name, tag: record!.image!.tag, pushed: record!.image!.pushed }
  } else {
    const built = await buildImage(ctx, docker, options, repository, version, record)
    ctx.log.info(`Built ${built.repository}:${built.tag} (${built.id.slice(7, 19)}) in ${built.durationMs} ms.`)
    image = { id: built.id, repository: built.repository, tag: built.tag }
  }
  if (options.registry && !image.pushed) {
    const registry = options.registry
    image.pushed = await journal.step('image.push', { version, image: `${image.repository}:${image.tag}`, id: image.id }, () =>
      withRegistryLogin(ctx, docker, registry, addSecret, options.stepTimeouts, (env) => pushImage(ctx, docker, image.repository, image.tag!, env, options.stepTimeouts)),
    (pushed) => ({ pushed }))
    ctx.log.info(`Pushed ${image.pushed}.`)
  }
  if (record) await ctx.registry.update(version, { image: { name: image.repository, tag: image.tag, digest: image.id, pushed: image.pushed } })
  else ctx.log.debug(`${version} is not in the model registry; its image is not recorded.`)
  return image
}

function deploymentInfo(options: ResolvedDockerOptions, version: string, ref: string, image: LocatedImage): DeploymentInfo {
  return {
    version, target: 'docker', url: new URL(options.healthUrl).origin, ref,
    image: image.tag ? `${image.repository}:${image.tag}` : image.repository, imageDigest: image.id,
  }
}

/** One quick probe: is the running container answering right now? */
async function answers(url: string): Promise<boolean> {
  try {
    await waitForHealthy({ url, successes: 1, intervalMs: 200, timeoutMs: 1500, requestTimeoutMs: 1000 })
    return true
  } catch {
    return false
  }
}
