import { execFile } from 'node:child_process'
import { cpSync, lstatSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from './helpers/net.mjs'
import { REPO, usePort } from './helpers/testdir.js'

/**
 * A new user's install path, end to end: every package packed by `npm run tarballs` (the script
 * the README documents), installed into a project outside this repo (no workspace links; the
 * tarballs' own third-party dependencies come from the registry as for any user), then
 * `mlci init`, `mlci build` through gate and version, and `tsc --noEmit` on the generated
 * mlci.config.ts, so the published type declarations resolve.
 */
const run = promisify(execFile)
const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

/** The environment without npm's per-invocation settings (vitest may run under `npm test`). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
  return { ...env, CI: '1', NO_COLOR: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }
}

async function sh(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(cmd, args, { cwd, env: cleanEnv(), maxBuffer: 64 << 20, timeout: 300_000 })
    return { code: 0, out: r.stdout + r.stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string; message: string }
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` }
  }
}

describe('install from packed tarballs into a project outside the monorepo', () => {
  it('packs every package, installs them, and init + build + tsc work there', { timeout: 600_000 }, async () => {
    const tarballs = mkdtempSync(join(tmpdir(), 'mlci-tarballs-'))
    const project = mkdtempSync(join(tmpdir(), 'mlci-user-'))
    dirs.push(tarballs, project)

    const pack = await sh('node', [join(REPO, 'scripts/pack.mjs'), tarballs], REPO)
    expect(pack.code, pack.out).toBe(0)
    const files = readdirSync(tarballs).sort()
    const workspaces = ['packages', 'plugins'].flatMap((g) => readdirSync(join(REPO, g)).map((n) => JSON.parse(readFileSync(join(REPO, g, n, 'package.json'), 'utf8')).name as string))
    expect(files).toEqual(workspaces.map((n) => `${n.slice(1).replace('/', '-')}-0.1.0.tgz`).sort())

    // Every tarball is publishable as is: README, types, engines, exports, no source maps.
    for (const file of files) {
      const list = (await sh('tar', ['-tzf', join(tarballs, file)], tarballs)).out.split('\n').filter(Boolean)
      expect(list, file).toContain('package/README.md')
      expect(list.some((f) => f.endsWith('.map')), `${file} ships source maps`).toBe(false)
      const pkg = JSON.parse((await sh('tar', ['-xzOf', join(tarballs, file), 'package/package.json'], tarballs)).out)
      expect(pkg.engines?.node, file).toBe('>=20.19')
      expect(pkg.description, file).toBeTruthy()
      expect(list, file).toContain(`package/${pkg.types.replace(/^\.\//, '')}`)
      expect(list, file).toContain(`package/${(pkg.exports?.['.']?.default ?? pkg.main).replace(/^\.\//, '')}`)
    }

    // A user's repo: the classifier's Python project without its mlci config.
    cpSync(join(REPO, 'fixtures/classifier'), project, { recursive: true, filter: (src) => !/[\\/](out|\.mlci|__pycache__|\.pytest_cache)([\\/]|$)|mlci\.config\.ts$/.test(src) })
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-model', private: true, type: 'module' }, null, 2))
    const install = await sh('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', ...files.map((f) => join(tarballs, f)), 'typescript@5.9', '@types/node@20'], project)
    expect(install.code, install.out).toBe(0)
    for (const name of ['core', 'cli', 'plugin-trainer']) {
      const dir = join(project, 'node_modules/@mlci', name)
      expect(lstatSync(dir).isSymbolicLink(), `${dir} is a link`).toBe(false)
      expect(realpathSync(dir).startsWith(REPO)).toBe(false)
    }

    const mlci = join(project, 'node_modules/.bin/mlci')
    const init = await sh(mlci, ['init'], project)
    expect(init.code, init.out).toBe(0)
    expect(init.out).toContain('Wrote mlci.config.ts')
    // Everything the config imports is installed already: init suggests no install.
    expect(init.out).not.toContain('npm install')

    // init writes the local deployer's default port (8731), where the README's demo server may
    // still run; its verify checks the port even with deploy skipped, so build on a free one.
    await usePort(join(project, 'mlci.config.ts'), await freePort())
    const build = await sh(mlci, ['build', '--skip', 'deploy,monitor'], project)
    expect(build.code, build.out).toBe(0)
    expect(build.out).toMatch(/\[gate\] ✓/)
    expect(build.out).toMatch(/Recorded 0\.1\.0\+data\.[0-9a-f]+/)

    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: false },
      include: ['mlci.config.ts'],
    }))
    const tsc = await sh(join(project, 'node_modules/.bin/tsc'), ['-p', '.'], project)
    expect(tsc.code, tsc.out).toBe(0)
  })
})
