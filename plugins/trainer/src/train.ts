import { relative, resolve } from 'node:path'
import { datasetDigest, writeFileAtomic, type PhaseContext } from '@mlci/core'
import type { TrainerOptions } from './options.js'
import { dataPatterns, writtenPaths } from './options.js'
import { artifactRefs, checkWritten, readSignature, snapshot } from './outputs.js'
import { loadParams, planParams, secretParamValues, trainedParams } from './params.js'
import { parseProgress } from './progress.js'
import { resolveProgram } from './python.js'

const STATUS_WIDTH = 60

/**
 * Run the training command with its params, stream its output (last line as status, progress
 * lines as a bar), check that it wrote every declared output, then publish params, artifacts
 * and signature into the run data.
 */
export async function runTraining(ctx: PhaseContext, options: TrainerOptions): Promise<void> {
  const cwd = resolve(ctx.cwd, options.cwd ?? '.')
  const loaded = await loadParams(options.params, cwd)
  const mode = options.paramsMode ?? (options.paramsFile || typeof options.params === 'string' ? 'file' : 'argv')
  const paramsFile = options.paramsFile ? resolve(cwd, options.paramsFile) : resolve(ctx.stateDir, 'train-params.json')
  // A param named like a secret is one: masked in the command's output, log and cache from here on.
  ctx.addSecrets(secretParamValues(loaded.values))
  // The user's MLCI_PARAM_<NAME> overrides win over the params they name (see planParams).
  const overrides = { ...ctx.env, ...options.env }
  const plan = planParams(loaded, mode, paramsFile, cwd, overrides)
  if (plan.write) await writeFileAtomic(plan.write.path, plan.write.content)

  const [argv0, ...rest] = options.command
  const program = await resolveProgram(ctx, argv0, cwd)
  const written = writtenPaths(options).map((p) => resolve(cwd, p))
  const before = await snapshot(written)
  let fraction: number | undefined
  let lastLine: string | undefined
  await ctx.exec([program, ...rest, ...plan.argv], {
    cwd,
    // Python block-buffers a piped stdout: progress would arrive all at once at the end.
    env: { PYTHONUNBUFFERED: '1', ...options.env, ...plan.env },
    timeoutMs: options.timeout,
    // Once a bar exists the last line rides along as its label; before that it is the status.
    onLine: (line) => {
      const progress = parseProgress(line)
      if (progress) {
        fraction = progress.fraction
        ctx.log.progress(fraction, progress.label ?? lastLine)
      } else if (line.trim()) {
        lastLine = line.trim().slice(0, STATUS_WIDTH)
        if (fraction === undefined) ctx.log.status(lastLine)
        else ctx.log.progress(fraction, lastLine)
      }
    },
  })
  await checkWritten(before, cwd)

  // The lineage records what was trained (env overrides included, secrets masked) and from where.
  const trained = trainedParams(loaded, overrides, ctx.cwd)
  if (trained) {
    ctx.data.params = trained.values
    ctx.data.paramSources = trained.sources
  }
  const patterns = dataPatterns(options)
  if (patterns.length) {
    ctx.data.dataset = await datasetDigest(ctx.cwd, cwd, patterns)
    if (!ctx.data.dataset.files) ctx.log.warn(`The training data (${patterns.join(', ')}) matched no file: the version gets no +data.<hash>. Fix the trainer's data (or inputs) option.`)
  } else delete ctx.data.dataset
  const outputs = (options.outputs ?? []).map((p) => resolve(cwd, p))
  ctx.data.artifacts = await artifactRefs(outputs, ctx.cwd)
  if (options.signature) {
    const file = resolve(cwd, options.signature)
    ctx.data.signature = await readSignature(file, relative(ctx.cwd, file))
  }
}
