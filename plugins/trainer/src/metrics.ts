import { loadYaml } from './yaml.js'
import { readFile } from 'node:fs/promises'
import { ErrorCode, MlciError } from '@mlci/core'

/**
 * Read a metrics file (JSON, or YAML for .yml/.yaml), flatten nested objects to dotted keys and
 * insist every value is a finite number. Python's json module writes NaN/Infinity as bare
 * tokens; they are read as numbers so the error can say "accuracy is NaN", not "bad JSON".
 */
export async function readMetrics(file: string, shown: string): Promise<Record<string, number>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new MlciError(ErrorCode.OUTPUT_MISSING, `Metrics file ${shown} does not exist.`, {
      hint: 'The training command must write it; or fix `metrics` in the trainer options.',
    })
  }
  return flattenMetrics(await parseMetrics(text, shown), shown)
}

export async function parseMetrics(text: string, shown: string): Promise<unknown> {
  // yaml is loaded only for YAML files: JSON-only configs do not pay for parsing it at startup.
  const yaml = /\.ya?ml$/i.test(shown) ? await loadYaml() : undefined
  try {
    return yaml ? yaml.parse(text) : parseJsonWithNonFinite(text)
  } catch (error) {
    throw new MlciError(ErrorCode.METRIC_INVALID, `Metrics file ${shown} is not valid ${/\.ya?ml$/i.test(shown) ? 'YAML' : 'JSON'}: ${(error as Error).message}`, {
      hint: 'Write the metrics as a JSON (or YAML) object of name: number.',
    })
  }
}

const NON_FINITE = '\u0000mlci-non-finite:'

/** JSON.parse that also accepts the bare NaN, Infinity and -Infinity tokens Python writes. */
export function parseJsonWithNonFinite(text: string): unknown {
  const escaped = text.replace(/"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b/g, (token) =>
    token.startsWith('"') ? token : JSON.stringify(NON_FINITE + token))
  return JSON.parse(escaped, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(NON_FINITE) ? Number(value.slice(NON_FINITE.length)) : value)
}

export function flattenMetrics(value: unknown, shown: string): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MlciError(ErrorCode.METRIC_INVALID, `Metrics file ${shown} must hold an object of name: number, got ${describe(value)}.`)
  }
  const metrics: Record<string, number> = {}
  const problems: { name: string; problem: string }[] = []
  const visit = (node: unknown, prefix: string) => {
    if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) visit(child, prefix ? `${prefix}.${key}` : key)
    } else if (typeof node === 'number' && Number.isFinite(node)) {
      metrics[prefix] = node
    } else {
      problems.push({ name: prefix, problem: `is ${describe(node)}` })
    }
  }
  visit(value, '')
  if (problems.length) {
    const [first] = problems
    throw new MlciError(ErrorCode.METRIC_INVALID, `Metric ${first.name} ${first.problem} in ${shown}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}.`, {
      details: problems.length > 1 ? problems.map((p) => `- ${p.name} ${p.problem}`).join('\n') : undefined,
      hint: 'Every metric must be a finite number. NaN or Infinity usually means training diverged (learning rate too high?) or a division by zero.',
    })
  }
  if (!Object.keys(metrics).length) {
    throw new MlciError(ErrorCode.METRIC_INVALID, `Metrics file ${shown} holds no metrics.`, { hint: 'Write at least one metric, e.g. {"accuracy": 0.93}.' })
  }
  return metrics
}

function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}, not a number`
  if (value === null || value === undefined) return `${value}, not a number`
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}, not a number`
}
