import { createHash } from 'node:crypto'
import { relative, resolve } from 'node:path'
import { ErrorCode, MlciError, definePlugin, findExecutable, optionsSchema, packageVersion } from '@mlci/core'
import { readMetrics } from './metrics.js'
import { OPTIONS_SHAPE, checkPaths, checkRanges, defaultInputs, writtenPaths, type TrainerOptions } from './options.js'
import { envName } from './params.js'
import { isPython, notFound, requestedProgram } from './python.js'
import { runTraining } from './train.js'

const NAME = '@mlci/plugin-trainer'
const VERSION = packageVersion(import.meta.url, '@mlci/plugin-trainer')

/** Trains the model (`train`) and records its metrics (`evaluate`). */
export default definePlugin({ name: NAME, options: optionsSchema<TrainerOptions>(OPTIONS_SHAPE, { required: ['command'] }) }, (options) => {
  if (!options.command.length) {
    throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `Invalid option: ${NAME}.command must not be empty.`, { hint: "Write the command as an argv array, e.g. command: ['python3', 'train.py'].", plugin: NAME })
  }
  checkRanges(options, NAME)
  const inlineParams = typeof options.params === 'object' ? options.params : {}
  return {
    name: NAME,
    version: VERSION,
    core: '^0.1.0',
    apply(mlci) {
      checkPaths(options, mlci.config.root, NAME)
      mlci.declare({
        phase: 'train',
        cwd: options.cwd,
        // Declared data files are inputs too (an explicit `inputs` list may not name them).
        inputs: options.inputs ? [...new Set([...options.inputs, ...(options.data ?? [])])] : defaultInputs(options),
        outputs: writtenPaths(options),
        // env values only as a digest: they may hold secrets.
        params: {
          command: options.command, params: options.params, paramsMode: options.paramsMode, paramsFile: options.paramsFile,
          env: options.env && createHash('sha256').update(JSON.stringify(options.env)).digest('hex'),
        },
        // Param env vars override params (train.py reads MLCI_PARAM_<NAME>): the inline ones, and any set now.
        env: [...new Set([
          ...(isPython(options.command[0]) ? ['MLCI_PYTHON'] : []),
          ...Object.keys(inlineParams).map(envName),
          ...Object.keys(mlci.env).filter((name) => name.startsWith('MLCI_PARAM_')),
        ])],
      })
      if (options.metrics) {
        mlci.declare({ phase: 'evaluate', cwd: options.cwd, inputs: [options.metrics], params: { metrics: options.metrics } })
      }
      // Only a PATH lookup, no process: a fully cached build must not start Python.
      // For train only (core skips it otherwise): evaluate reads a file and needs no program.
      mlci.hooks.verify.tapPromise({ name: NAME, phases: ['train'] }, async (ctx) => {
        const cwd = resolve(ctx.cwd, options.cwd ?? '.')
        const program = requestedProgram(options.command[0], ctx.env)
        if (!(await findExecutable(program, ctx.env.PATH ?? '', cwd))) throw notFound(program, options.command[0])
      })
      mlci.hooks.train.tapPromise(NAME, (ctx) => runTraining(ctx, options))
      if (options.metrics) {
        const metricsPath = options.metrics
        mlci.hooks.evaluate.tapPromise(NAME, async (ctx) => {
          const file = resolve(ctx.cwd, options.cwd ?? '.', metricsPath)
          const metrics = await readMetrics(file, relative(ctx.cwd, file))
          ctx.data.metrics = { ...ctx.data.metrics, ...metrics }
          // Six significant digits, as reports show them: 0.44999999999999996 reads as 0.45.
          ctx.log.info(Object.entries(metrics).map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`).join(' '))
        })
      }
    },
  }
})

export type { TrainerOptions, ParamsMode } from './options.js'
