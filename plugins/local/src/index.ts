import { definePlugin, optionsSchema, Stage, packageVersion } from '@mlci/core'
import { deployLocal } from './deploy.js'
import { localDeployable } from './deployable.js'
import { NAME, OPTIONS_SHAPE, resolveOptions, type LocalUserOptions } from './options.js'
import { verifyLocal } from './verify.js'

export { DEFAULT_COMMAND, DEFAULT_PORT, type LocalUserOptions as LocalOptions } from './options.js'

const version = packageVersion(import.meta.url, '@mlci/plugin-local')

/**
 * The embedded default deployer: the model server as a supervised background process (no
 * Docker). Files under `.mlci/deploy/local/` (see state.ts); the server outlives mlci.
 */
export default definePlugin({ name: NAME, options: optionsSchema<LocalUserOptions>(OPTIONS_SHAPE) }, (input) => {
  const options = resolveOptions(input)
  return {
    name: NAME,
    version,
    core: '^0.1.0',
    apply(mlci) {
      // For deploy only: the version tap below needs no port or program (core skips it otherwise).
      mlci.hooks.verify.tapPromise({ name: NAME, phases: ['deploy'] }, (ctx) => verifyLocal(ctx, options))
      mlci.hooks.deploy.tapPromise({ name: NAME, stage: Stage.NORMAL }, (request, ctx) => deployLocal(request, ctx, options))
      // Before the versioner: the server code and options are part of what gets versioned.
      mlci.hooks.version.tapPromise({ name: NAME, stage: Stage.EARLY }, async (proposal, ctx) => {
        ctx.data.deployable = await localDeployable(ctx, options)
        return proposal
      })
    },
  }
})
