import { createHash } from 'node:crypto'
import { definePlugin, optionsSchema, packageVersion, type PhaseContext } from '@mlci/core'
import { DEFAULT_INPUTS, OPTIONS_SHAPE, type PytestOptions } from './options.js'
import { locateInterpreter, resolveInterpreter } from './python.js'
import { runPytest } from './run-pytest.js'

const NAME = '@mlci/plugin-pytest'
const VERSION = packageVersion(import.meta.url, '@mlci/plugin-pytest')

/** Runs the project's pytest suite in the `test` phase; checks the interpreter in `verify`. */
export default definePlugin({ name: NAME, options: optionsSchema<PytestOptions>(OPTIONS_SHAPE) }, (options) => {
  return {
    name: NAME,
    version: VERSION,
    core: '^0.1.0',
    apply(mlci) {
      mlci.declare({
        phase: 'test',
        cwd: options.cwd,
        inputs: options.inputs ?? DEFAULT_INPUTS,
        // What changes the result. env values only as a digest: they may hold secrets.
        params: {
          python: options.python, args: options.args, markers: options.markers, keywords: options.keywords,
          allowNoTests: options.allowNoTests, disablePluginAutoload: options.disablePluginAutoload,
          env: options.env && createHash('sha256').update(JSON.stringify(options.env)).digest('hex'),
        },
        env: ['MLCI_PYTHON', 'PYTEST_ADDOPTS', 'PYENV_VERSION', 'VIRTUAL_ENV', 'CONDA_PREFIX'],
      })
      // A build checks that the interpreter exists (no process); the tests ask it for pytest when
      // they run, before any training. A fresh checkout whose tests come from the shared cache
      // thus starts no Python. A preflight (`--only verify`) asks for pytest now.
      mlci.hooks.verify.tapPromise(NAME, async (ctx) => {
        if (!isPreflight(ctx)) {
          ctx.log.debug(`python: ${await locateInterpreter(ctx, options.python)} (pytest is checked when the tests run)`)
          return
        }
        const python = await resolveInterpreter(ctx, options.python)
        ctx.log.debug(`python ${python.version} (${python.executable}), pytest ${python.modules.pytest?.version}`)
      })
      mlci.hooks.test.tapPromise(NAME, async (ctx) => {
        const python = await resolveInterpreter(ctx, options.python)
        await runPytest(ctx, python.executable, options)
      })
    },
  }
})

/** `mlci build --only verify`: a pre-flight check of the whole lifecycle, which may start processes. */
function isPreflight(ctx: PhaseContext): boolean {
  return ctx.options.only?.length === 1 && ctx.options.only[0] === 'verify'
}

export type { PytestOptions } from './options.js'
