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

/** The training script: a usual path, else a runnable script with "train" in its name. */
export function detectTrainingScript(project: ProjectFiles): Found | undefined {
  const usual = USUAL_SCRIPTS.find((p) => project.files.includes(p))
  if (usual) return { value: usual, from: `${usual} is where training scripts usually live` }
  const candidates = project.files
    .filter((f) => /(^|\/)[^/]*train[^/]*\.py$/i.test(f) && !/(^|\/)(tests?)\//.test(f) && !/(^|\/)(test_[^/]*|[^/]*_test)\.py$/.test(f))
    .filter((f) => hasMainGuard(project.read(f) ?? ''))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.length - b.length)
  if (!candidates.length) return undefined
  return { value: candidates[0], from: `${candidates[0]} has "train" in its name and an \`if __name__ == '__main__'\` block` }
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
