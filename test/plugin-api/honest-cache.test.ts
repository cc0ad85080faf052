import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'

// A plugin loaded by path whose training logic lives in a module it imports.
const PLUGIN = (declare: string) => `
import { definePlugin } from '@mlci/core'
import { train } from './lib/train.mjs'
export default definePlugin(() => ({ name: 'by-path', apply(mlci) {
  ${declare}
  mlci.hooks.train.tapPromise('by-path', async (ctx) => { ctx.data.params = { trained: train() }; ctx.log.info('by-path trained ' + train()) })
} }))
`
const lib = (n: number) => `export const train = () => ${n}\n`

const outside: string[] = []
afterAll(() => { for (const dir of outside) rmSync(dir, { recursive: true, force: true }) })

describe('honest caching', () => {
  it('editing a plugin loaded by path (a module it imports) re-runs the phase it taps; an unchanged one stays cached', async () => {
    for (const config of ['json', 'ts'] as const) {
      const dir = testdir({
        'plugin/index.mjs': PLUGIN("mlci.declare({ phase: 'train', inputs: ['data.csv'] })"),
        'plugin/lib/train.mjs': lib(1),
        'data.csv': 'x\n1\n',
        ...(config === 'json'
          ? { 'mlci.config.json': JSON.stringify({ plugins: ['./plugin/index.mjs'] }) }
          : { 'mlci.config.ts': "import { defineConfig } from '@mlci/core'\nimport p from './plugin/index.mjs'\nexport default defineConfig({ plugins: [p()] })" }),
      })
      const first = await runCli(['build'], { cwd: dir })
      expect(first.code, first.output).toBe(0)
      expect(first.stdout).toContain('by-path trained 1')
      const again = await runCli(['build'], { cwd: dir })
      expect(again.stdout, `${config}: ${again.output}`).toMatch(/train.*cached/)
      expect(again.stdout).not.toContain('by-path trained')
      writeFileSync(join(dir, 'plugin/lib/train.mjs'), lib(2))
      const edited = await runCli(['build', '--explain'], { cwd: dir })
      expect(edited.code, edited.output).toBe(0)
      expect(edited.stdout, `${config}: ${edited.output}`).toContain('by-path trained 2')
      expect(edited.stdout).toMatch(/train: .*plugin by-path .*code:/)
    }
  })

  it('a plugin defined in the config itself: editing a JavaScript helper it imports by path re-runs its phase (TS, ES module and top-level await configs)', async () => {
    for (const [config, file] of [['ts', 'mlci.config.ts'], ['mjs', 'mlci.config.mjs'], ['top-level await (compiled as an ES module)', 'mlci.config.ts']]) {
      const dir = testdir({
        'helper.mjs': lib(1),
        [file]: [
          "import { definePlugin } from '@mlci/core'",
          "import { train } from './helper.mjs'",
          config.startsWith('top-level') ? 'await Promise.resolve()' : '',
          "const inline = definePlugin(() => ({ name: 'inline', version: '1.0.0', apply(mlci) {",
          "  mlci.declare({ phase: 'train', inputs: ['data.csv'] })",
          "  mlci.hooks.train.tapPromise('inline', async (ctx) => { ctx.log.info('inline trained ' + train()) })",
          '} }))',
          'export default { plugins: [inline()] }',
          '',
        ].join('\n'),
        'data.csv': 'x\n1\n',
      })
      const first = await runCli(['build'], { cwd: dir })
      expect(first.code, first.output).toBe(0)
      expect(first.stdout, config).toContain('inline trained 1')
      const again = await runCli(['build'], { cwd: dir })
      expect(again.stdout, config).toMatch(/\[train\] ↺ cached/)
      writeFileSync(join(dir, 'helper.mjs'), lib(2))
      const edited = await runCli(['build'], { cwd: dir })
      expect(edited.code, edited.output).toBe(0)
      expect(edited.stdout, config).toContain('inline trained 2')
    }
  })

  it('an absolute input outside the project is hashed: changing it re-runs the phase', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'mlci-shared-data-'))
    outside.push(shared)
    writeFileSync(join(shared, 'train.csv'), 'x\n1\n')
    const dir = testdir({
      'plugin/index.mjs': PLUGIN(`mlci.declare({ phase: 'train', inputs: [${JSON.stringify(`${shared}/**`)}] })`),
      'plugin/lib/train.mjs': lib(1),
      'mlci.config.json': JSON.stringify({ plugins: ['./plugin/index.mjs'] }),
    })
    expect((await runCli(['build'], { cwd: dir })).stdout).toContain('by-path trained 1')
    expect((await runCli(['build'], { cwd: dir })).stdout).toMatch(/train.*cached/)
    writeFileSync(join(shared, 'train.csv'), 'x\n1\n2\n')
    const changed = await runCli(['build', '--explain'], { cwd: dir })
    expect(changed.stdout, changed.output).toContain('by-path trained 1')
    expect(changed.stdout).toContain('train.csv')
  })

  it('a tap without declarations warns on every run, naming the plugin, without --explain', async () => {
    const dir = testdir({
      'plugin/index.mjs': PLUGIN(''),
      'plugin/lib/train.mjs': lib(1),
      'mlci.config.json': JSON.stringify({ plugins: ['./plugin/index.mjs'] }),
    })
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['build'], { cwd: dir })
      expect(r.code, r.output).toBe(0)
      expect(r.output).toContain('train is not cacheable and runs every time: by-path taps it but declares no inputs')
      expect(r.stdout).toContain('by-path trained 1')
    }
  })

  it('run data JSON cannot carry is refused when published, naming the key', async () => {
    const dir = testdir({
      'p.mjs': `export default () => ({ name: 'dates', apply(mlci) {
        mlci.declare({ phase: 'train', inputs: ['p.mjs'] })
        mlci.hooks.train.tapPromise('dates', async (ctx) => { ctx.data.trainedAt = new Date() })
        mlci.hooks.evaluate.tapPromise('dates', async (ctx) => { ctx.data.metrics = { accuracy: 0.9 }; ctx.data.metrics.loss = NaN })
      } })`,
      'mlci.config.json': JSON.stringify({ plugins: ['./p.mjs'] }),
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('Run data must be JSON: ctx.data.trainedAt is a Date, which comes back from JSON as a string')
    expect(r.stderr).toMatch(/dates/)
    const nested = await runCli(['build', '--skip', 'train'], { cwd: dir })
    expect(nested.code).toBe(1)
    expect(nested.stderr).toContain('ctx.data.metrics.loss is NaN')
  })
})
