import type { Found } from './detect-training.js'
import type { ProjectFiles } from './project-files.js'
import { mentionsFlag } from './python-source.js'

export interface ServerFound extends Found {
  /** The flags it takes among those the local deployer fills in (--model, --host, --port, --model-version). */
  flags: string[]
  /** It reads PORT from the environment (the fallback when it takes no --port). */
  portEnv: boolean
  /** It answers /predict (so a probe dataset can be sent to it). */
  predict: boolean
}

export interface DockerfileFound extends Found {
  /** The port it EXPOSEs. */
  port?: number
}

export interface ProbeFound extends Found {
  /** The column holding the expected answer. */
  label: string
}

const SERVER_SCRIPTS = ['serve.py', 'app.py', 'server.py', 'api.py', 'src/serve.py', 'src/app.py', 'src/server.py', 'app/main.py']
const SERVER_FLAGS = ['--model', '--host', '--port', '--model-version']
const LABEL_COLUMNS = ['label', 'target', 'y', 'class', 'labels']

/** A model server: a usual script name whose source has a /health route (the deployer waits on it). */
export function detectServer(project: ProjectFiles): ServerFound | undefined {
  for (const script of SERVER_SCRIPTS) {
    const source = project.files.includes(script) ? project.read(script) : undefined
    if (!source || !/["']\/health["']/.test(source)) continue
    return {
      value: script,
      from: `${script} answers /health`,
      flags: SERVER_FLAGS.filter((f) => mentionsFlag(source, f)),
      portEnv: /["']PORT["']/.test(source),
      predict: /["']\/predict["']/.test(source),
    }
  }
  return undefined
}

export function detectDockerfile(project: ProjectFiles): DockerfileFound | undefined {
  const text = project.files.includes('Dockerfile') ? project.read('Dockerfile') : undefined
  if (text === undefined) return undefined
  const expose = /^\s*EXPOSE\s+(\d+)/im.exec(text)
  return { value: 'Dockerfile', from: 'Dockerfile', port: expose ? Number(expose[1]) : undefined }
}

/** A labelled CSV held out for checking the live model: probe/holdout in its name, a label column in its header. */
export function detectProbe(project: ProjectFiles): ProbeFound | undefined {
  const candidates = project.files.filter((f) => /(^|\/)(data\/)?[^/]*(probe|holdout)[^/]*\.csv$/i.test(f) && f.split('/').length <= 2)
  for (const csv of candidates) {
    const header = (project.read(csv) ?? '').split(/\r?\n/, 1)[0].split(',').map((c) => c.trim().replace(/^"|"$/g, ''))
    const label = LABEL_COLUMNS.find((c) => header.includes(c))
    if (label) return { value: csv, label, from: `${csv} has a "${label}" column` }
  }
  return undefined
}

