import { posix } from 'node:path'
import type { ProjectFiles } from './project-files.js'
import { hasMainGuard, mentionsFlag } from './python-source.js'

export interface Found<T = string> {
  value: T
  /** Where the value came from, said plainly: it becomes the comment above it in the config. */
  from: string
}

export type ParamsMode = 'argv' | 'env' | 'file'

export interface ParamsFound extends Found {
  mode: ParamsMode
  modeFrom: string
}

const USUAL_SCRIPTS = ['train.py', 'src/train.py', 'scripts/train.py', 'training/train.py']
const PARAMS_FILES = ['params.json', 'params.yaml', 'params.yml', 'config.yaml', 'config.yml']

/** Folders where training entry points usually live (besides the root). */
const SCRIPT_DIRS = ['src', 'scripts', 'training', 'train']
/** Writes a model: numpy/pickle/joblib/torch/keras savers, or a model file literal. */
const MODEL_WRITE = /\b(np|numpy)\.save(z|z_compressed)?\(|\b(pickle|joblib|dill|torch)\.(dump|save)\(|\.save_model\(|\.save\(\s*["'][^"']*model|["'][^"'\n]*model[^"'\n]*\.(json|pkl|pickle|joblib|npz|npy|pt|pth|onnx|h5|keras|safetensors)["']/
const NOT_TRAINING = /(^|\/)(tests?|docs?|notebooks?)\/|(^|\/)(test_[^/]*|[^/]*_test|conftest|setup|serve|server|app|api|wsgi|asgi|__init__|__main__)\.py$/

/**
 * The training script: a usual path, else the runnable script that reads like training — by
 * content (it writes a model; argparse, params, metrics and a train/fit name count for it), in
 * the root or the usual folders (src/, scripts/, training/) before anywhere else.
 */
export function detectTrainingScript(project: ProjectFiles): Found | undefined {
  const usual = USUAL_SCRIPTS.find((p) => project.files.includes(p))
  if (usual) return { value: usual, from: `${usual} is where training scripts usually live` }
  const scored = project.files
    .filter((f) => f.endsWith('.py') && !NOT_TRAINING.test(f))
    .map((f) => ({ file: f, ...trainingSignals(f, project.read(f) ?? '') }))
    .filter((c) => c.main && (c.writesModel || c.named))
    .sort((a, b) => b.score - a.score || a.file.split('/').length - b.file.split('/').length || a.file.length - b.file.length)
  const best = scored[0]
  if (!best) return undefined
  return { value: best.file, from: `${best.file} ${best.reasons.join(', ')}` }
}

/** What in a script says "this trains a model", each with a weight and the words for the config comment. */
function trainingSignals(file: string, source: string): { main: boolean; writesModel: boolean; named: boolean; score: number; reasons: string[] } {
  const main = hasMainGuard(source)
  const named = /(^|\/)[^/]*(train|fit)[^/]*\.py$/i.test(file)
  const writesModel = MODEL_WRITE.test(source)
  const signals: [boolean, number, string][] = [
    [main, 0, "has an `if __name__ == '__main__'` block"],
    [named, 2, `has "${/fit/i.test(file.split('/').pop()!) ? 'fit' : 'train'}" in its name`],
    [writesModel, 3, 'writes a model'],
    [/\bargparse\b|\bsys\.argv\b/.test(source), 1, 'parses arguments'],
    [/\bparams\b|--params|hyperparam/i.test(source), 1, 'reads params'],
    [/metrics?\.(json|ya?ml)|\bmetrics\b/.test(source), 1, 'records metrics'],
    [SCRIPT_DIRS.some((d) => file.startsWith(`${d}/`)) || !file.includes('/'), 1, ''],
  ]
  const hits = signals.filter(([hit]) => hit)
  return { main, writesModel, named, score: hits.reduce((n, [, w]) => n + w, 0), reasons: hits.map(([, , why]) => why).filter(Boolean) }
}

/** The params file next to the script (or at the root), and how the script wants to receive it. */
export function detectParams(project: ProjectFiles, script: string): ParamsFound | undefined {
  const dir = posix.dirname(script)
  const places = [...new Set([dir, '.'])].flatMap((d) => PARAMS_FILES.map((f) => (d === '.' ? f : `${d}/${f}`)))
  const file = places.find((p) => project.files.includes(p))
  if (!file) return undefined
  const from = posix.dirname(file) === dir ? `${file} sits next to ${script}` : `${file} is at the project root`
  return { value: file, from, ...paramsMode(project.read(script) ?? '', topLevelKeys(project.read(file) ?? '', file), script) }
}

/**
 * `--params <file>` when the script takes it; `--name value` when it takes every param as a
 * flag; else environment variables, which a script that reads the file itself simply ignores.
 */
function paramsMode(source: string, keys: string[], script: string): { mode: ParamsMode; modeFrom: string } {
  if (mentionsFlag(source, '--params')) return { mode: 'file', modeFrom: `${script} accepts --params, so the file is passed as \`--params <file>\`` }
  if (keys.length && keys.every((k) => mentionsFlag(source, `--${k}`) || mentionsFlag(source, `--${k.replace(/_/g, '-')}`))) {
    return { mode: 'argv', modeFrom: `${script} takes every param as a flag, so they are passed as \`--name value\`` }
  }
  if (source.includes('MLCI_PARAM_')) return { mode: 'env', modeFrom: `${script} reads MLCI_PARAM_<NAME> environment variables` }
  return {
    mode: 'env',
    modeFrom: `${script} takes no --params flag, so the values are only recorded with each version and passed as MLCI_PARAM_<NAME> environment variables (which it may ignore)`,
  }
}

function topLevelKeys(text: string, file: string): string[] {
  if (file.endsWith('.json')) {
    try {
      const value = JSON.parse(text) as unknown
      return value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : []
    } catch {
      return []
    }
  }
  return [...text.matchAll(/^([A-Za-z_][\w-]*)\s*:/gm)].map((m) => m[1])
}
