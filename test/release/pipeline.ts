import { afterAll, beforeAll, expect } from 'vitest'
import { runCli, type CliResult } from '../helpers/cli.js'
import { freePort } from '../helpers/net.mjs'
import { copyFixture } from '../helpers/testdir.js'
import { killServers, serverPids } from '../rollback/project.js'

/**
 * One pipeline project per test file: created (with a free port) before its tests, every server
 * it started killed after them. `ready` receives the folder and port.
 */
export function usePipelineProject(ready: (dir: string, port: number) => void): void {
  let dir: string | undefined
  beforeAll(async () => {
    const port = await freePort()
    dir = pipelineProject(port)
    ready(dir, port)
  })
  afterAll(() => {
    if (dir) killServers(dir)
    expect(dir ? serverPids(dir) : []).toEqual([])
  })
}

/** The real CLI in a project folder (read when called), as a user runs it. */
export function cliIn(dir: () => string): (args: string[], env?: Record<string, string>) => Promise<CliResult> {
  return (args, env = {}) => runCli(args, { cwd: dir(), env, timeoutMs: 120_000 })
}

/**
 * The classifier fixture with the whole release pipeline a new user would configure: real
 * training (trainer), versions (semver), the local deployer, a monitor probing /predict, and
 * the rollback policy. Faults come from the environment of each `mlci build`:
 *   FAULT_ERROR_RATE   the server answers that fraction of /predict with HTTP 500 (monitor fails)
 *   FAULT_SLOW_HEALTH  health checks give up after 1.5 s (an operational option: no new version);
 *                      with MLCI_FAULT_SLOW_START=N in mlci's own environment (the server inherits
 *                      it; no deployer option changes) the server listens only after N seconds
 */
export function pipelineProject(port: number): string {
  return versionedProject({
    imports: ["import local from '@mlci/plugin-local'", "import monitor from '@mlci/plugin-monitor'", "import rollback from '@mlci/plugin-rollback'"],
    preamble: `const env: Record<string, string> = {}
if (process.env.FAULT_ERROR_RATE) env.MLCI_FAULT_ERROR_RATE = process.env.FAULT_ERROR_RATE`,
    plugins: [
      `local({ port: ${port}, env, health: { intervalMs: 50, timeoutMs: process.env.FAULT_SLOW_HEALTH ? 1500 : 20000, successes: 2 }, stopTimeoutMs: 2000 })`,
      `monitor({ interval: '50ms', count: 3, metrics: [
      { name: 'error_rate', probe: { csv: 'probe.csv', value: 'error_rate', batchSize: 5 }, successCondition: 'result < 0.1' },
    ] })`,
      'rollback()',
    ],
  })
}

/** The classifier fixture's trainer as the release tests configure it: real training, metrics and signature. */
export const CLASSIFIER_TRAINER = `trainer({
      command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
      inputs: ['train.py', 'params.json', 'data/train.csv'], outputs: ['out/model.json'],
      metrics: 'out/metrics.json', signature: 'out/signature.json',
    })`

export interface ConfigParts {
  /** Import lines above the config (trainer and semver are always imported). */
  imports?: string[]
  /** Source between the imports and the export (constants, inline plugins). */
  preamble?: string
  /** Plugin expressions after the trainer and semver. */
  plugins?: string[]
}

/** An mlci.config.ts for the classifier fixture: the trainer, semver, then `parts.plugins`. */
export function classifierConfig(parts: ConfigParts = {}): string {
  return `import semver from '@mlci/plugin-semver'
import trainer from '@mlci/plugin-trainer'
${(parts.imports ?? []).join('\n')}
${parts.preamble ?? ''}
export default {
  plugins: [
    ${[CLASSIFIER_TRAINER, 'semver()', ...(parts.plugins ?? [])].join(',\n    ')},
  ],
}
`
}

/** A fresh copy of the classifier fixture configured by classifierConfig(parts), plus `files`. */
export function versionedProject(parts: ConfigParts = {}, files: Record<string, string> = {}): string {
  return copyFixture('classifier', { 'mlci.config.ts': classifierConfig(parts), ...files })
}
