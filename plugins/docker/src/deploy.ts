import { Journal, errorMessage, waitForHealthy, type DeployRequest, type DeploymentInfo, type ModelVersion, type PhaseContext } from '@mlci/core'
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
 * The deploy tap: release (build → push → swap → health → aliases) or rollback (the recorded
 * image by digest → swap → health → live). A version already live and healthy is a no-op.
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
    // Serving but not yet live (a run stopped between health and alias move): adopt it.
    ctx.log.info(`${version} already runs healthy in ${options.container}; marking it live.`)
    await moveAliases(ctx, request, aliases, journal)
    return (ctx.data.deployment = info)
  }

  const image = request.reason === 'rollback'
    ? await locateImage(ctx, docker, options, version, record, addSecret)
    : await releaseImage(ctx, docker, options, version, record, addSecret, journal)
  const swap = await swapContainers(ctx, docker, options, { imageId: image.id, version }, journal)
  ctx.log.info(`${version} is healthy in ${options.container} (${swap.reused ? 'restarted the kept container' : `image ${image.id.slice(7, 19)}`}, healthy after ${swap.healthyMs} ms).`)
  await moveAliases(ctx, request, aliases, journal)
  ctx.data.deployment = deploymentInfo(options, version, swap.containerId, image)

  try {
    const now = await ctx.registry.aliases()
    const keep = await Promise.all([now.live, now.previous].map(async (v) => (v ? (await ctx.registry.get(v))?.image?.digest : undefined)))
    await pruneImages(ctx, docker, options, [image.id, ...keep])
  } catch (error) {
    ctx.log.warn(`Pruning old images failed (the deploy itself succeeded): ${errorMessage(error)}`)
  }
  return ctx.data.deployment
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
      withRegistryLogin(ctx, docker, registry, addSecret, (env) => pushImage(ctx, docker, image.repository, image.tag!, env)),
    (pushed) => ({ pushed }))
    ctx.log.info(`Pushed ${image.pushed}.`)
  }
  if (record) await ctx.registry.update(version, { image: { name: image.repository, tag: image.tag, digest: image.id, pushed: image.pushed } })
  else ctx.log.debug(`${version} is not in the model registry; its image is not recorded.`)
  return image
}

async function moveAliases(ctx: PhaseContext, request: DeployRequest, before: Record<string, string>, journal: Journal): Promise<void> {
  const { version } = request
  if (before.live === version) return
  const move = { reason: request.note ?? (request.reason === 'release' ? `release ${version}` : `rollback to ${version}`), by: ctx.options.command ?? 'mlci build', runId: ctx.runId }
  await journal.step('alias.live', { from: before.live, to: version }, () =>
    ctx.registry.moveAlias('live', version, { ...move, expected: before.live }))
  if (request.reason === 'release' && before.live && before.previous !== before.live) {
    await journal.step('alias.previous', { from: before.previous, to: before.live }, () =>
      ctx.registry.moveAlias('previous', before.live, { ...move, reason: `${before.live} replaced by ${version}`, expected: before.previous }))
  }
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
