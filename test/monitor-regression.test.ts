import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { copyFixture } from './helpers/testdir.js'

// Live regression metrics from the monitor's probe, through `mlci monitor`, against a real HTTP
// server answering with the regression fixture's trained ridge model (test/helpers/ridge_server.py).
// The expected values are computed by numpy from the same model and CSV.

const SERVER = join(import.meta.dirname, 'helpers/ridge_server.py')
let project: string
const servers: ChildProcess[] = []

function serve(scale = 1): Promise<string> {
  const child = spawn('python3', [SERVER, '--model', 'out/model.npz', '--scale', String(scale)], { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] })
  servers.push(child)
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d
      const m = /listening on (http:\/\/\S+?)\/?\s/.exec(err)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`ridge_server.py exited ${code}: ${err}`)))
  })
}

/** rmse, mae, mape of the model (times `scale`) over every row of datasets/houses.csv, by numpy. */
function expected(scale = 1): { rmse: number; mae: number; mape: number } {
  const out = execFileSync('python3', ['-c', `import json, numpy as np
m = np.load('out/model.npz'); d = np.loadtxt('datasets/houses.csv', delimiter=',', skiprows=1)
e = (d[:, :-1] @ m['weights'] + float(m['intercept'])) * ${scale} - d[:, -1]
print(json.dumps({'rmse': float(np.sqrt(np.mean(e ** 2))), 'mae': float(np.mean(np.abs(e))), 'mape': float(np.mean(np.abs(e) / np.abs(d[:, -1])))}))`], { cwd: project, encoding: 'utf8' })
  return JSON.parse(out)
}

function config(url: string, csv = 'datasets/houses.csv', label = 'price'): string {
  const probe = (value: string) => `{ csv: '${csv}', value: '${value}', label: '${label}', responseKey: 'predictions' }`
  return `import { defineConfig } from '@mlci/core'
import monitor from '@mlci/plugin-monitor'
export default defineConfig({ plugins: [
  monitor({ url: '${url}', interval: '50ms', count: 2, metrics: [
    { name: 'live_rmse', probe: ${probe('rmse')}, successCondition: 'result < 18' },
    { name: 'live_mae', probe: ${probe('mae')}, successCondition: 'result < 15' },
    { name: 'live_mape', probe: ${probe('mape')}, successCondition: 'result < 0.06' },
  ] }),
] })
`
}

/** The numbers of the first `sample 1/2 …` line. */
function firstSample(output: string): Record<string, number> {
  const line = output.split('\n').find((l) => /sample 1\/2/.test(l)) ?? ''
  return Object.fromEntries([...line.matchAll(/(live_\w+)=([\d.e+-]+)/g)].map((m) => [m[1].slice(5), Number(m[2])]))
}

beforeAll(() => {
  project = copyFixture('regression')
  execFileSync('python3', ['src/fit.py'], { cwd: project, stdio: 'ignore' })
})
afterAll(() => {
  for (const s of servers) s.kill('SIGTERM')
})

describe('the monitor probe measures a regression model live: rmse, mae, mape', () => {
  it('a good model: each value equals numpy\'s over the same rows (label column and response key configured); exit 0', async () => {
    writeFileSync(join(project, 'mlci.config.ts'), config(await serve()))
    const r = await runCli(['monitor'], { cwd: project })
    expect(r.code, r.output).toBe(0)
    const want = expected()
    const got = firstSample(r.output)
    expect(got.rmse).toBeCloseTo(want.rmse, 1) // printed to 4 significant digits
    expect(got.mae).toBeCloseTo(want.mae, 1)
    expect(got.mape).toBeCloseTo(want.mape, 3)
    expect(r.output).toMatch(/sample 2\/2 live_rmse=[\d.]+ ✔ live_mae=[\d.]+ ✔ live_mape=[\d.]+ ✔/)
  })

  it('a model 30 % off fails on live rmse, mae and mape (the analysis fails, not errors)', async () => {
    writeFileSync(join(project, 'mlci.config.ts'), config(await serve(1.3)))
    const r = await runCli(['monitor'], { cwd: project })
    expect(r.code, r.output).not.toBe(0)
    const want = expected(1.3)
    const got = firstSample(r.output)
    expect(got.rmse).toBeCloseTo(want.rmse, 0)
    expect(got.rmse).toBeGreaterThan(18)
    expect(r.output).toMatch(/sample 1\/2 live_rmse=[\d.]+ ✖ live_mae=[\d.]+ ✖ live_mape=[\d.]+ ✖/)
    expect(r.output).toContain('MLCI_ANALYSIS_FAILED')
  })

  it('a label column that is not numeric is a measurement error naming the row and what to check, not a failed model', async () => {
    writeFileSync(join(project, 'graded.csv'), 'area,rooms,age,grade\n120.5,3,20,cheap\n200.1,5,3,dear\n')
    writeFileSync(join(project, 'mlci.config.ts'), config(await serve(), 'graded.csv', 'grade'))
    const r = await runCli(['monitor'], { cwd: project })
    expect(r.code, r.output).not.toBe(0)
    expect(r.output).toContain('live_rmse: rmse needs numeric labels and predictions: the label "cheap" of probe row 1 is not a number; check the probe\'s label column and responseKey')
    expect(r.output).toContain('MLCI_ANALYSIS_ERROR')
    expect(r.output).not.toContain('MLCI_ANALYSIS_FAILED')
  })
})
