import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { ErrorCode, MlciError, type PhaseContext } from '@mlci/core'
import { DockerCli } from './docker-cli.js'
import { ensureBaseImage, ensureEngine } from './engine.js'
import type { ResolvedDockerOptions } from './options.js'
import { withRegistryLogin } from './registry-login.js'
import { refuseSecretValues } from './build-image.js'

/**
 * The verify tap: everything a deploy needs, checked before any side effect — the engine answers,
 * the base image exists, the Dockerfile exists, registry credentials are set and accepted. Core
 * calls it only when this run deploys (the tap's `phases`): nothing is built, pushed or run otherwise.
 */
export async function verifyDocker(ctx: PhaseContext, options: ResolvedDockerOptions, addSecret: (secret: string) => void): Promise<void> {
  // A secret value in a build arg, label or image ENV is refused now, not after hours of training.
  refuseSecretValues(ctx, options)
  const docker = new DockerCli(ctx)
  const engine = await ensureEngine(docker, ctx.env)
  ctx.log.debug(`Docker engine ${engine} answers.`)
  if (options.baseImage) await ensureBaseImage(docker, options.baseImage)
  if (!options.generate) {
    const dockerfile = options.dockerfile ? resolve(ctx.cwd, options.dockerfile) : join(options.contextDir, 'Dockerfile')
    if (!existsSync(dockerfile)) {
      throw new MlciError(ErrorCode.VERIFY_FAILED, `Dockerfile not found: ${relative(ctx.cwd, dockerfile) || dockerfile}.`, {
        hint: 'Add a Dockerfile, set the docker plugin\'s `dockerfile` option, or use `generate: { base, copy, cmd }`.',
      })
    }
  }
  const unset = (options.passEnv ?? []).filter((name) => ctx.env[name] === undefined)
  if (unset.length) ctx.log.warn(`passEnv names ${unset.join(', ')}, but ${unset.length > 1 ? 'they are' : 'it is'} not set: the container will not get ${unset.length > 1 ? 'them' : 'it'}.`)
  // Logging in now (in a throwaway DOCKER_CONFIG) finds a wrong password before hours of training.
  if (options.registry) await withRegistryLogin(ctx, docker, options.registry, addSecret, options.stepTimeouts, async () => undefined)
}
