import { comment, commentedOut, list, phrase, q } from './config-text.js'
import type { Detection, TrainingFound } from './detect.js'
import type { Section } from './section.js'

/** Globs shared by the test and train inputs: the params and data they read; virtualenvs left out. */
function sharedInputs(d: Detection): string[] {
  return [...(d.training?.params ? [d.training.params.value] : []), ...d.data.map((dir) => `${dir}/**`)]
}

/** The params and data named in those globs, said in words. */
function readable(d: Detection, verb: string, withProbe: boolean): string[] {
  const what = [...(d.training?.params ? ['params'] : []), ...(d.data.length || (withProbe && d.probe) ? ['data'] : [])]
  return what.length ? [`the ${what.join(' and ')} files ${verb}`] : []
}

const excludeVenvs = (d: Detection) => d.venvs.map((v) => `!${v}/**`)

export function pytestSection(d: Detection): Section {
  const section = { name: 'pytest', pkg: '@mlci/plugin-pytest' }
  const tests = d.tests
  if (!tests) {
    return {
      ...section, active: false,
      lines: [
        ...comment('Tests: none found (no tests/ or test/ folder, no test_*.py or *_test.py files). Once you add pytest tests, uncomment this line and the pytest import above.'),
        ...commentedOut(['pytest(),']),
      ],
    }
  }
  const count = `${tests.files.length} test file${tests.files.length === 1 ? '' : 's'} in ${tests.where}`
  const inputs = ['**/*.py', ...(tests.config ? [tests.config.value] : []), ...sharedInputs(d), ...(d.probe ? [d.probe.value] : []), ...excludeVenvs(d)]
  return {
    ...section, active: true,
    lines: [
      ...comment(`Tests: ${count}${tests.config ? `; pytest is configured in ${tests.config.from}` : ''}.`),
      'pytest({',
      ...comment(`What the result depends on (a change re-runs the tests): ${phrase(['Python sources', ...(tests.config ? ["pytest's config"] : []), ...readable(d, 'the tests may read', true)])}.`, '  '),
      `  inputs: ${list(inputs)},`,
      '}),',
    ],
  }
}

export function trainerSection(d: Detection): Section {
  const section = { name: 'trainer', pkg: '@mlci/plugin-trainer' }
  const training = d.training
  if (!training) {
    return {
      ...section, active: false,
      lines: [
        ...comment("Training: no training script found (train.py, src/train.py, scripts/train.py, training/train.py, or a runnable script — an `if __name__ == '__main__'` block — that writes a model or has \"train\"/\"fit\" in its name). Point command at yours and uncomment, with the trainer import above:"),
        ...commentedOut([`trainer({ command: ['python3', 'path/to/train.py'], outputs: ['out/model.pkl'], metrics: 'out/metrics.json' }),`]),
      ],
    }
  }
  const { script, outputs } = training
  const testDirs = [...new Set((d.tests?.files ?? []).map((f) => f.split('/')[0]).filter((t) => t === 'tests' || t === 'test'))]
  const inputs = ['**/*.py', ...testDirs.map((t) => `!${t}/**`), ...sharedInputs(d), ...excludeVenvs(d)]
  return {
    ...section, active: true,
    lines: [
      ...comment(`Training: ${script.from}.`),
      'trainer({',
      `  command: ['python3', ${q(script.value)}],`,
      ...paramsLines(training),
      ...comment(`What the model depends on (a change re-trains): ${phrase([`Python sources${testDirs.length ? ' except the tests' : ''}`, ...readable(d, 'it reads', false)])}.`, '  '),
      `  inputs: ${list(inputs)},`,
      ...option('outputs', outputs.model && `[${q(outputs.model.value)}]`, outputs.model?.from,
        `outputs: ['out/model.pkl'], // the model file(s) ${script.value} writes: each version keeps a copy, and a deploy serves it`),
      ...option('metrics', outputs.metrics && q(outputs.metrics.value), outputs.metrics?.from,
        `metrics: 'out/metrics.json', // the JSON or YAML file of numbers ${script.value} writes (accuracy, loss…): needed to gate and compare versions`),
      ...option('signature', outputs.signature && q(outputs.signature.value), outputs.signature?.from,
        "signature: 'out/signature.json', // a JSON file describing the model's inputs and outputs: a change in it makes a major version"),
      '}),',
    ],
  }
}

function paramsLines({ script, params }: TrainingFound): string[] {
  if (!params) {
    return [`  // params: 'params.json', // no params.json, params.yaml or config.yaml next to ${script.value}: name your hyper-parameter file here to record it with each version`]
  }
  return [...comment(`${params.from}; ${params.modeFrom}.`, '  '), `  params: ${q(params.value)},`, `  paramsMode: ${q(params.mode)},`]
}

/** A detected option with its origin as the comment above it, or the commented-out line to fill in. */
function option(key: string, value: string | undefined, from: string | undefined, missing: string): string[] {
  return value === undefined ? [`  // ${missing}`] : [...comment(`${from}.`, '  '), `  ${key}: ${value},`]
}

export function semverSection(d: Detection): Section {
  const section = { name: 'semver', pkg: '@mlci/plugin-semver' }
  if (!d.training) {
    return { ...section, active: false, lines: [...comment('Versions need a trained model: uncomment with the trainer.'), ...commentedOut(['semver(),'])] }
  }
  const lead = comment('Versions: each trained model becomes a semantic version in the registry under .mlci/, with its lineage (commit, params, metrics, data fingerprint).')
  const metric = d.training.outputs.gateMetric
  if (!metric) {
    const why = d.training.outputs.metrics ? `no accuracy- or error-like metric found in ${d.training.outputs.metrics.value}` : 'no metrics file found'
    return {
      ...section, active: true,
      lines: [...lead, 'semver({', ...comment(`A gate blocks worse models; ${why}, so name one of your metrics:`, '  '), "  // gate: { accuracy: { min: 0.9, maxDrop: 0.02 } },", '}),'],
    }
  }
  if (metric.direction === 'lower') {
    // Errors have units of their own: the allowed worsening is relative, the ceiling a suggestion.
    const ceiling = metric.recorded === undefined ? undefined : Number((metric.recorded * 1.2).toPrecision(2))
    return {
      ...section, active: true,
      lines: [
        ...lead,
        'semver({',
        ...comment(`The gate: ${metric.from} (lower is better); a candidate may be at most 5 % worse than the live version, or the build stops (exit 3).`, '  '),
        '  gate: {',
        `    ${metric.value}: {`,
        "      maxDrop: '5%',",
        `      // max: ${ceiling ?? '…'}, // an absolute ceiling: the highest ${metric.value} you would ship`,
        '    },',
        '  },',
        '}),',
      ],
    }
  }
  const floor = metric.recorded === undefined ? 0.9 : Math.max(0, Number((metric.recorded - 0.05).toFixed(2)))
  return {
    ...section, active: true,
    lines: [
      ...lead,
      'semver({',
      ...comment(`The gate: ${metric.from}; a candidate may be at most 0.02 worse than the live version, or the build stops (exit 3).`, '  '),
      '  gate: {',
      `    ${metric.value}: {`,
      '      maxDrop: 0.02,',
      `      // min: ${floor}, // an absolute floor: the lowest ${metric.value} you would ship`,
      '    },',
      '  },',
      '}),',
    ],
  }
}
