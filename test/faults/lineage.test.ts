import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { copyFixture } from '../helpers/testdir.js'

const TOKEN = 'tok-9f8e7d6c5b4a3210'

function grepFiles(dir: string, text: string): string[] {
  try {
    return execFileSync('grep', ['-rlF', text, dir], { encoding: 'utf8' }).split('\n').filter(Boolean)
  } catch {
    return [] // grep exits 1 when nothing matches
  }
}

describe('lineage records what was trained', () => {
  it('an MLCI_PARAM_EPOCHS override is recorded as trained (with its source), and a secret-named param (api_token) is stored and shown masked', async () => {
    const dir = copyFixture('classifier', {
      'mlci.config.mjs': `import trainer from '@mlci/plugin-trainer'
        import semver from '@mlci/plugin-semver'
        export default { plugins: [
          trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file',
                    outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
          semver(),
        ] }`,
    })
    execFileSync('rm', [join(dir, 'mlci.config.ts')])
    const params = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'))
    writeFileSync(join(dir, 'params.json'), JSON.stringify({ ...params, epochs: 200, api_token: TOKEN }))
    const build = await runCli(['build'], { cwd: dir, env: { MLCI_PARAM_EPOCHS: '30' }, timeoutMs: 120_000 })
    expect(build.code, build.output).toBe(0)
    const show = await runCli(['show', 'live', '--json'], { cwd: dir })
    expect(show.code, show.output).toBe(0)
    const version = JSON.parse(show.stdout)
    expect(version.params.epochs).toBe(30)
    expect(version.params.learning_rate).toBe(params.learning_rate)
    expect(version.params.api_token).toBe('[redacted]')
    expect(JSON.parse(readFileSync(join(dir, '.mlci', 'runs', readRun(dir)), 'utf8')).data.paramSources).toMatchObject({ epochs: 'env MLCI_PARAM_EPOCHS', learning_rate: 'params.json' })
    expect(show.stdout).not.toContain(TOKEN)
    // Only the model file the training program itself wrote (an artifact in the store) may hold it.
    expect(grepFiles(join(dir, '.mlci'), TOKEN).filter((f) => !f.includes('/objects/'))).toEqual([])
    expect(build.output).not.toContain(TOKEN)
  })
})

function readRun(dir: string): string {
  return execFileSync('ls', [join(dir, '.mlci', 'runs')], { encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.json')).sort().pop()!
}
