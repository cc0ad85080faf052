import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { FIXTURES, REPO, testdir } from '../helpers/testdir.js'

const run = promisify(execFile)
const TSC = join(REPO, 'node_modules/typescript/bin/tsc')

const outside: string[] = []
afterAll(() => { for (const dir of outside) rmSync(dir, { recursive: true, force: true }) })

// A stand-in versioner so the builds below need no Python.
const PROPOSER = `import { definePlugin } from '@mlci/core'
export default definePlugin(() => ({ name: 'proposer', apply(mlci) {
  mlci.hooks.version.tapPromise('proposer', async () => ({ version: '1.2.0', bump: 'minor', reason: 'test' }))
} }))
`

describe('plugins by path work as packages do', () => {
  it('the example plugin, copied outside the monorepo, builds with tsc after `mlci types` and keeps its location when imported by path', async () => {
    // A plugin author's folder and a project, neither inside any node_modules tree.
    const root = mkdtempSync(join(tmpdir(), 'mlci-plugin-dev-'))
    outside.push(root)
    const plugin = join(root, 'mlci-plugin-model-card')
    cpSync(join(FIXTURES, 'mlci-plugin-model-card'), plugin, { recursive: true, filter: (src) => !/(dist|node_modules|tsbuildinfo)/.test(src) })
    const types = await runCli(['types'], { cwd: plugin })
    expect(types.code, types.output).toBe(0)
    expect(types.stdout).toContain('wrote tsconfig.mlci.json')
    const tsc = await run(process.execPath, [TSC, '-p', 'tsconfig.mlci.json'], { cwd: plugin }).then(() => ({ code: 0, out: '' }), (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }))
    expect(tsc.code, tsc.out).toBe(0)
    expect(existsSync(join(plugin, 'dist/index.js'))).toBe(true)
    expect(existsSync(join(plugin, 'dist/index.d.ts'))).toBe(true)

    // From a .ts config by path: not bundled, so `createRequire(import.meta.url)('../package.json')` finds its package.json.
    const project = join(root, 'project')
    writeFileSync(join(root, 'proposer.mjs'), PROPOSER)
    for (const [file, text] of [
      ['mlci.config.ts', `import { defineConfig } from '@mlci/core'\nimport proposer from '../proposer.mjs'\nimport card from '../mlci-plugin-model-card/dist/index.js'\nexport default defineConfig({ plugins: [proposer(), card({ title: 'ByPath' })] })`],
      ['mlci.config.json', JSON.stringify({ plugins: ['../proposer.mjs', ['../mlci-plugin-model-card/dist/index.js', { title: 'ByPath' }]] })],
    ] as const) {
      rmSync(project, { recursive: true, force: true })
      mkdirSync(project)
      writeFileSync(join(project, file), text)
      const r = await runCli(['build'], { cwd: project })
      expect(r.code, `${file}: ${r.output}`).toBe(0)
      expect(readFileSync(join(project, 'MODEL_CARD.md'), 'utf8')).toContain('# ByPath 1.2.0')
      const listed = await runCli(['plugins'], { cwd: project })
      expect(listed.stdout, file).toMatch(/mlci-plugin-model-card@1\.0\.0/)
    }
  })

  it('a .ts plugin by path loads from a JSON config (compiled as TS configs are), with its own import.meta.url', async () => {
    const dir = testdir({
      'plugins/greeter/package.json': JSON.stringify({ name: 'mlci-plugin-greeter', version: '2.3.4', type: 'module' }),
      'plugins/greeter/src/index.ts': `import { createRequire } from 'node:module'
import { definePlugin, optionsSchema } from '@mlci/core'
import { greet } from './greet.js'
const { version } = createRequire(import.meta.url)('../package.json') as { version: string }
interface Options { who?: string }
export default definePlugin({ name: 'mlci-plugin-greeter', options: optionsSchema<Options>({ who: 'string' }) }, (o) => ({
  name: 'mlci-plugin-greeter', version,
  apply(mlci) { mlci.hooks.verify.tapPromise('mlci-plugin-greeter', async (ctx) => ctx.log.info(greet(o.who ?? 'nobody') + ' from ' + version)) },
}))`,
      'plugins/greeter/src/greet.ts': 'export const greet = (who: string): string => `hello ${who}`\n',
      'mlci.config.json': JSON.stringify({ plugins: [['./plugins/greeter/src/index.ts', { who: 'ts' }]] }),
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toContain('hello ts from 2.3.4')
    writeFileSync(join(dir, 'mlci.config.json'), JSON.stringify({ plugins: [['./plugins/greeter/src/index.ts', { whom: 'ts' }]] }))
    const wrong = await runCli(['build'], { cwd: dir })
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('mlci-plugin-greeter.whom is not a known option (did you mean "who"?')
  })
})
