import { ErrorCode, MlciError, type ModelVersion, type RunContext } from '@mlci/core'
import { runBounded } from './bounded.js'
import type { DockerCli } from './docker-cli.js'
import type { ResolvedDockerOptions } from './options.js'
import { withRegistryLogin } from './registry-login.js'

export interface LocatedImage {
  id: string
  repository: string
  tag?: string
}

/**
 * The exact image a version was deployed with, by its recorded image ID (a content digest, so a
 * re-tagged or rebuilt image never stands in for it). When it is gone from the engine but was
 * pushed, it is pulled back by repo digest; otherwise the version cannot be deployed.
 */
export async function locateImage(
  ctx: RunContext, docker: DockerCli, options: ResolvedDockerOptions, version: string, record: ModelVersion | undefined,
  addSecret: (secret: string) => void,
): Promise<LocatedImage> {
  const image = record?.image
  if (!image?.digest) {
    throw new MlciError(ErrorCode.DEPLOY_TARGET_MISSING, `Version ${version} has no recorded Docker image to deploy.`, {
      hint: 'It was never deployed by the docker deployer. Roll back to a version that was, or release it again with `mlci build`.',
    })
  }
  let found = await docker.imageInspect(image.digest)
  let pullError: string | undefined
  if (!found && image.pushed && options.registry) {
    ctx.log.info(`The image of ${version} is not in the engine; pulling ${image.pushed}.`)
    const host = image.pushed.split('/')[0]
    pullError = await withRegistryLogin(ctx, docker, options.registry, addSecret, options.stepTimeouts, async (env) => {
      const pulled = await runBounded(docker, 'pull', ['pull', image.pushed!], { env, reject: false, quiet: true }, options.stepTimeouts, `the registry ${host} to send ${image.pushed}`)
      return pulled.exitCode === 0 ? undefined : (pulled.stderr || pulled.stdout).trim()
    }).catch((error: Error) => {
      // A stalled registry is not a missing image: say what was waited for, don't try older versions.
      if (MlciError.is(error) && error.code === ErrorCode.TIMEOUT) throw error
      return error.message
    })
    if (!pullError) found = await docker.imageInspect(image.digest)
  }
  if (!found) {
    throw new MlciError(ErrorCode.DEPLOY_TARGET_MISSING,
      `The image of version ${version} (${image.name}${image.tag ? `:${image.tag}` : ''}, ${image.digest.slice(0, 19)}…) no longer exists in the Docker engine${image.pushed ? ' or could not be pulled' : ''}.`, {
        hint: 'It was removed (docker rmi / image prune). Deploy another version, or rebuild this one from its commit with `mlci build`.',
        details: pullError ? ctx.redact(pullError) : undefined,
      })
  }
  return { id: found.id, repository: image.name, tag: image.tag }
}
