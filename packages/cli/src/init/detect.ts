import { basename } from 'node:path'
import { detectOutputs, type OutputsFound } from './detect-outputs.js'
import { detectDockerfile, detectProbe, detectServer, type DockerfileFound, type ProbeFound, type ServerFound } from './detect-serving.js'
import { detectTests, type TestsFound } from './detect-tests.js'
import { detectParams, detectTrainingScript, type Found, type ParamsFound } from './detect-training.js'
import { scanProject, virtualenvs } from './project-files.js'

/** Folders that usually hold a project's data: inputs of training and of the tests. */
const DATA_DIRS = ['data', 'datasets', 'dataset', 'input', 'inputs']

export interface TrainingFound {
  script: Found
  params?: ParamsFound
  outputs: OutputsFound
}

/** Everything init found in a Python ML repo; each value knows where it came from. */
export interface Detection {
  /** The project folder's name (a default image name). */
  name: string
  tests?: TestsFound
  training?: TrainingFound
  /** Data folders: inputs of training and of the tests. */
  data: string[]
  server?: ServerFound
  dockerfile?: DockerfileFound
  probe?: ProbeFound
  /** Virtualenv folders to leave out of input globs. */
  venvs: string[]
}

export function detectProject(root: string): Detection {
  const project = scanProject(root)
  const script = detectTrainingScript(project)
  return {
    name: basename(root),
    tests: detectTests(project),
    training: script && { script, params: detectParams(project, script.value), outputs: detectOutputs(project, script.value) },
    data: DATA_DIRS.filter((d) => project.files.some((f) => f.startsWith(`${d}/`))),
    server: detectServer(project),
    dockerfile: detectDockerfile(project),
    probe: detectProbe(project),
    venvs: virtualenvs(project),
  }
}
