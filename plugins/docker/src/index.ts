import { Stage, definePlugin, optionsSchema, packageVersion, type RunContext } from '@mlci/core'
import { deployVersion, pruneAfterVerdict } from './deploy.js'
import { dockerDeployable } from './deployable.js'
import { OPTIONS_SHAPE, resolveDockerOptions, validateDockerOptions, type DockerOptions } from './options.js'
import { verifyDocker } from './verify.js'

export type { DockerOptions, GenerateOptions, CopyEntry } from './options.js'
export { imageTag } from './image-tag.js'
export { renderDockerfile } from './dockerfile.js'

const NAME = '@mlci/plugin-docker'
const version = packageVersion(import.meta.url, '@mlci/plugin-docker')

/**
 * Deploy the model as a Docker container: build (project Dockerfile or generated) with OCI labels,
 * tag `<image>:<version>`, push if a registry is configured, swap the container keeping the previous
 * one stopped until the new one is healthy, move `live`/`previous`. Rollback deploys the recorded
 * image by digest (a restart of the kept container when it is still there).
 */
export default definePlugin({ name: NAME, options: optionsSchema<DockerOptions>(OPTIONS_SHAPE) }, (raw) => {
  const options = validateDockerOptions(NAME, raw)
  return {
    name: NAME,
    version,
    core: '^0.1.0',
    apply(mlci) {
      // Registry passwords are masked in every log line and record, whatever their env var is called.
      const addSecret = (secret: string) => mlci.redactor.add([secret])
      // For deploy only: the version tap needs no engine or registry (core skips it otherwise).
      mlci.hooks.verify.tapPromise({ name: NAME, phases: ['deploy'] }, (ctx) => verifyDocker(ctx, resolveDockerOptions(options, ctx.cwd), addSecret))
      // No dry-run branch: core never runs deploy (or rollback) under --dry-run.
      mlci.hooks.deploy.tapPromise(NAME, async (request, ctx) => {
        await deployVersion(request, ctx, resolveDockerOptions(options, ctx.cwd), addSecret)
      })
      // Before the versioner: the Dockerfile, build context and options are part of what gets versioned.
      mlci.hooks.version.tapPromise({ name: NAME, stage: Stage.EARLY }, async (proposal, ctx) => {
        ctx.data.deployable = await dockerDeployable(ctx, resolveDockerOptions(options, ctx.cwd), options, NAME)
        return proposal
      })
      // After the verdict (core has marked the release ready or failed): prune old images.
      const prune = (ctx: RunContext) => (ctx.data.deployment?.target === 'docker' ? pruneAfterVerdict(ctx, resolveDockerOptions(options, ctx.cwd)) : Promise.resolve())
      mlci.hooks.done.tapPromise(NAME, (_record, ctx) => prune(ctx))
      mlci.hooks.failed.tapPromise(NAME, (_error, _record, ctx) => prune(ctx))
    },
  }
})
