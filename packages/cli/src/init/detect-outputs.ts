import { posix } from 'node:path'
import type { Found } from './detect-training.js'
import type { ProjectFiles } from './project-files.js'
import { outputFolder, stringLiterals } from './python-source.js'

export interface OutputsFound {
  model?: Found
  metrics?: Found
  signature?: Found
  /** The metric to gate on, which way is better, and its last recorded value when a metrics file exists. */
  gateMetric?: Found & { recorded?: number; direction: 'higher' | 'lower' }
}

const KINDS = {
  metrics: /(^|\/)[\w.-]*metrics\.(json|ya?ml)$/i,
  signature: /(^|\/)[\w.-]*signature\.json$/i,
  model: /(^|\/)[\w.-]*model[\w.-]*\.(json|pkl|pickle|joblib|npz|npy|pt|pth|onnx|h5|keras|safetensors)$/i,
} as const

/** Accuracy-like metrics, best first: higher is better, and a drop means a worse model. */
const GATE_METRICS = ['accuracy', 'val_accuracy', 'test_accuracy', 'acc', 'val_acc', 'f1_macro', 'f1', 'f1_score', 'roc_auc', 'auc', 'r2', 'precision', 'recall']
/** Error-like metrics, gated when no score above is recorded (a regression model): lower is better. */
const ERROR_METRICS = ['rmse', 'val_rmse', 'test_rmse', 'mae', 'val_mae', 'test_mae', 'mape', 'mse', 'val_mse', 'val_loss', 'test_loss', 'loss']

/**
 * What the training script writes: a string literal naming the file (joined with the script's
 * output folder when it is a bare name), else an existing file of that kind in the project.
 */
export function detectOutputs(project: ProjectFiles, script: string): OutputsFound {
  const source = project.read(script) ?? ''
  const literals = stringLiterals(source)
  const folder = outputFolder(source)
  const find = (kind: keyof typeof KINDS): Found | undefined => {
    const literal = literals.find((l) => KINDS[kind].test(l) && !posix.isAbsolute(l) && !l.includes('{'))
    if (literal) {
      const path = posix.normalize(literal)
      if (path.includes('/') || !folder) return { value: path, from: `${script} writes "${literal}"` }
      return { value: posix.join(folder.value, path), from: `${script} writes "${literal}" into its output folder (${folder.from})` }
    }
    const existing = project.files.find((f) => KINDS[kind].test(f) && !/(^|\/)tests?\//.test(f))
    return existing ? { value: existing, from: `${existing} exists` } : undefined
  }
  const metrics = find('metrics')
  return { model: find('model'), metrics, signature: find('signature'), gateMetric: metrics && gateMetric(project, source, script, metrics.value) }
}

/** From the metrics file when one exists (with its value), else a metric key spelled in the script. */
function gateMetric(project: ProjectFiles, source: string, script: string, metricsFile: string): OutputsFound['gateMetric'] {
  const recorded = readNumbers(project.read(metricsFile))
  const candidates = [...GATE_METRICS.map((m) => [m, 'higher'] as const), ...ERROR_METRICS.map((m) => [m, 'lower'] as const)]
  const fromFile = candidates.find(([m]) => typeof recorded[m] === 'number')
  if (fromFile) {
    const [value, direction] = fromFile
    return { value, recorded: recorded[value], direction, from: `${metricsFile} holds ${value} = ${recorded[value]}` }
  }
  const fromScript = candidates.find(([m]) => new RegExp(`["']${m}["']\\s*(:|\\]\\s*=)`).test(source))
  return fromScript ? { value: fromScript[0], direction: fromScript[1], from: `${script} records the metric "${fromScript[0]}"` } : undefined
}

function readNumbers(text: string | undefined): Record<string, number> {
  if (!text) return {}
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => typeof v === 'number')) as Record<string, number>
  } catch {
    return Object.fromEntries([...text.matchAll(/^([\w.-]+)\s*:\s*(-?[\d.]+(?:e-?\d+)?)\s*$/gim)].map((m) => [m[1], Number(m[2])]))
  }
}
