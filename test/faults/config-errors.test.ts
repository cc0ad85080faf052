import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'

describe('config import errors point at the file and line the user wrote', () => {
  it('an error thrown in a helper module the TS config imports names helper file:line:col (imported by the config)', async () => {
    const dir = testdir({
      'helpers/params.ts': 'export function lr(): number {\n  const x: number = 1\n  throw new Error("helper exploded")\n  return x\n}\n',
      'mlci.config.ts': "import { lr } from './helpers/params'\nconst value: number = lr()\nexport default { plugins: [] }\n",
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toMatch(/helpers\/params\.ts:3:9 \(imported by .*mlci\.config\.ts\) threw while loading: helper exploded/)
    expect(r.stderr).not.toContain('.cache')
  })

  it('an error thrown in the config itself names mlci.config.ts:line:col, not the compiled cache file', async () => {
    const dir = testdir({ 'mlci.config.ts': "type N = number\nconst n: N = 1\nif (n) throw new Error('config exploded')\nexport default {}\n" })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toMatch(/mlci\.config\.ts:3:14 threw while loading: config exploded/)
  })

  it('a missing package is blamed on the config that imports it, with the install command', async () => {
    const dir = testdir({ 'mlci.config.ts': "import missing from 'not-a-real-package-xyz'\nexport default { plugins: [missing] }\n" })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toMatch(/mlci\.config\.ts imports "not-a-real-package-xyz", which cannot be found/)
    expect(r.stderr).toContain('npm install -D not-a-real-package-xyz')
    expect(r.stderr).not.toMatch(/imported from .*(bundle|dist)/)
  })
})
