import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createTestRun } from '@mlci/testing'
import { afterAll, describe, expect, it } from 'vitest'
import dataCheck from '../../fixtures/plugin-shapes/mlci-plugin-data-check/src/index.js'
import notify from '../../fixtures/plugin-shapes/mlci-plugin-notify/src/index.js'
import sizeGate from '../../fixtures/plugin-shapes/mlci-plugin-size-gate/src/index.js'
import { runCli } from '../helpers/cli.js'
import { FIXTURES, REPO } from '../helpers/testdir.js'

const run = promisify(execFile)
const SHAPES = join(FIXTURES, 'plugin-shapes')
const NAMES = ['mlci-plugin-data-check', 'mlci-plugin-size-gate', 'mlci-plugin-notify']
const outside: string[] = []
afterAll(() => { for (const dir of outside) rmSync(dir, { recursive: true, force: true }) })

const artifact = (size: number) => ({ path: 'out/model.bin', digest: `sha256:${'0'.repeat(64)}`, size })

describe('three plugin shapes, tested with the kit', () => {
  it('a data check taps verify and test and publishes typed run data', async () => {
    const good = await createTestRun({ plugins: [dataCheck({ file: 'data.csv', minRows: 2, columns: ['x', 'label'] })], files: { 'data.csv': 'x,label\n1,0\n2,1\n' } })
    const ok = await good.run({ only: ['verify', 'test'] })
    expect(ok.exitCode, String(ok.error)).toBe(0)
    expect(ok.data.dataCheck).toEqual({ file: 'data.csv', rows: 2, columns: ['x', 'label'] })
    const short = await createTestRun({ plugins: [dataCheck({ file: 'data.csv', minRows: 2, columns: ['y'] })], files: { 'data.csv': 'x,label\n1,0\n' } })
    const bad = await short.run({ only: ['test'] })
    expect(bad.exitCode).toBe(1)
    expect(String(bad.error)).toContain('lacks the column(s) y')
  })

  it('a size gate vetoes artifacts over its limit (exit 3) and passes the others', async () => {
    const t = await createTestRun({ plugins: [sizeGate({ maxBytes: 1000 })] })
    expect((await t.callHook('gate', [], { data: { artifacts: [artifact(999)] } })).result).toBeUndefined()
    const { result } = await t.callHook('gate', [], { data: { artifacts: [artifact(2000)] } })
    expect(result).toMatchObject({ reason: 'the model is 2000 bytes, over the 1000-byte limit' })
    const vetoed = await createTestRun({ plugins: [sizeGate({ maxBytes: 1000 })], data: { artifacts: [artifact(2000)] } })
    expect((await vetoed.run({ only: ['gate'] })).exitCode).toBe(3)
  })

  it('a notifier on the run-level hooks, used twice through instance names', async () => {
    const t = await createTestRun({ plugins: [notify({ name: 'team', file: 'team.jsonl' }), notify({ name: 'audit', file: 'audit.jsonl' })] })
    await t.run({ only: ['gate'] })
    const line = (file: string) => JSON.parse(readFileSync(join(t.dir, file), 'utf8').trim())
    expect(line('team.jsonl')).toMatchObject({ notifier: 'team', status: 'ok' })
    expect(line('audit.jsonl')).toMatchObject({ notifier: 'audit', status: 'ok' })
  })
})

describe('the three plugins built with tsc outside the monorepo, used by path from .ts and JSON configs', () => {
  it('build passes under the size limit and is vetoed over it; the notifier records both', { timeout: 180_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'mlci-shapes-'))
    outside.push(root)
    for (const name of NAMES) {
      const dir = join(root, name)
      cpSync(join(SHAPES, name), dir, { recursive: true, filter: (src) => !/dist|node_modules/.test(src) })
      expect((await runCli(['types'], { cwd: dir })).code).toBe(0)
      const tsc = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.mlci.json'], { cwd: dir }).then(() => '', (e: { stdout: string }) => e.stdout || 'failed')
      expect(tsc, name).toBe('')
      expect(existsSync(join(dir, 'dist/index.d.ts'))).toBe(true)
    }
    const project = join(root, 'project')
    mkdirSync(project)
    writeFileSync(join(project, 'data.csv'), 'x,label\n1,0\n2,1\n3,0\n')
    writeFileSync(join(project, 'train.mjs'), "import { mkdirSync, writeFileSync } from 'node:fs'\nmkdirSync('out', { recursive: true })\nwriteFileSync('out/model.bin', Buffer.alloc(4096))\n")
    const trainer = { command: ['node', 'train.mjs'], inputs: ['train.mjs'], outputs: ['out/model.bin'] }
    const configs = (maxBytes: number) => ({
      'mlci.config.ts': `import { defineConfig } from '@mlci/core'
import trainer from '@mlci/plugin-trainer'
import dataCheck from '../mlci-plugin-data-check/dist/index.js'
import sizeGate from '../mlci-plugin-size-gate/dist/index.js'
import notify from '../mlci-plugin-notify/dist/index.js'
export default defineConfig({ plugins: [dataCheck({ file: 'data.csv', minRows: 3 }), trainer(${JSON.stringify(trainer)}), sizeGate({ maxBytes: ${maxBytes} }), notify({ file: 'runs.jsonl' })] })`,
      'mlci.config.json': JSON.stringify({ plugins: [['../mlci-plugin-data-check/dist/index.js', { file: 'data.csv', minRows: 3 }], ['@mlci/plugin-trainer', trainer], ['../mlci-plugin-size-gate/dist/index.js', { maxBytes }], ['../mlci-plugin-notify/dist/index.js', { file: 'runs.jsonl' }]] }),
    })
    for (const file of ['mlci.config.ts', 'mlci.config.json'] as const) {
      // A fresh state per config: the second would otherwise replay the first one's cached phases.
      for (const state of ['runs.jsonl', '.mlci', 'out']) rmSync(join(project, state), { recursive: true, force: true })
      for (const other of ['mlci.config.ts', 'mlci.config.json']) rmSync(join(project, other), { force: true })
      writeFileSync(join(project, file), configs(10_000)[file])
      const ok = await runCli(['build'], { cwd: project })
      expect(ok.code, `${file}: ${ok.output}`).toBe(0)
      expect(ok.stdout).toContain('data.csv: 3 rows')
      writeFileSync(join(project, file), configs(1000)[file])
      const vetoed = await runCli(['build'], { cwd: project })
      expect(vetoed.code, `${file}: ${vetoed.output}`).toBe(3)
      expect(vetoed.output).toContain('the model is 4096 bytes, over the 1000-byte limit')
      const lines = readFileSync(join(project, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      expect(lines.map((l) => l.status)).toEqual(['ok', 'vetoed'])
    }
  })
})
