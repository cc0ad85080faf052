import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'
import { NOTIFIER } from './plugin.js'

function project(config: string): string {
  return testdir({ 'plugins.mjs': NOTIFIER, 'data.txt': 'a\n', 'mlci.config.mjs': config })
}

const runFiles = (dir: string) => readdirSync(join(dir, '.mlci', 'runs')).map((f) => f.replace(/^.*\./, '')).sort()

describe('@mlci/plugin-report is on by default and configurable like any plugin', () => {
  it('a config that never mentions reports gets the report plugin (and no alerts plugin) from the CLI', async () => {
    const dir = project(`import { work } from './plugins.mjs'\nexport default { plugins: [work()] }\n`)
    const plugins = await runCli(['plugins'], { cwd: dir })
    expect(plugins.code, plugins.output).toBe(0)
    expect(plugins.stdout).toMatch(/mlci:report/)
    expect(plugins.stdout).toMatch(/publish/)
    expect(plugins.stdout).not.toMatch(/mlci:alerts/)
    expect((await runCli(['build'], { cwd: dir })).code).toBe(0)
    expect(runFiles(dir)).toEqual(['html', 'json', 'log', 'md'])
  })

  it('listed in plugins with its own options, it replaces the default; also setting the top-level key is a config error (exit 2)', async () => {
    const dir = project(`import report from '@mlci/plugin-report'\nimport { work } from './plugins.mjs'\nexport default { plugins: [work(), report({ formats: ['md'] })] }\n`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(runFiles(dir)).toEqual(['json', 'log', 'md'])
    const both = project(`import report from '@mlci/plugin-report'\nexport default { plugins: [report()], report: { formats: ['md'] } }\n`)
    const bad = await runCli(['build'], { cwd: both })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/sets "report" and also lists the mlci:report plugin/)
    expect(existsSync(join(both, '.mlci', 'runs'))).toBe(false)
  })

  it('a wrong report option names the config key (exit 2, before anything runs)', async () => {
    const dir = project(`export default { plugins: [], report: { formats: ['pdf'] } }\n`)
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/config\.report\.formats\[0\] must be one of "md", "html"/)
  })
})
