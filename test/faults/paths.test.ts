import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { freePort } from '../helpers/net.mjs'
import { copyFixture, testdir } from '../helpers/testdir.js'
import { killServers } from '../rollback/project.js'

// Records version 1.0.0 whose only artifact path has ".." in the middle (a hostile or broken
// version tap); the model itself is real, so only the path is wrong.
const HOSTILE_RELEASE = `
import { definePlugin } from '@mlci/core'
import { join } from 'node:path'
export default definePlugin((o) => ({ name: 'hostile-release', apply(mlci) {
  mlci.hooks.version.tapPromise('hostile-release', async (proposal, ctx) => {
    const { digest, size } = await ctx.store.put(join(ctx.cwd, 'out', 'model.json'))
    const artifacts = [{ path: o.path, digest, size }]
    ctx.data.artifacts = artifacts
    await ctx.registry.create({ version: '1.0.0', runId: ctx.runId, fingerprint: 'fp', artifacts })
    return { version: '1.0.0', bump: 'major', reason: 'test' }
  })
} }))
`

const projects: string[] = []
afterAll(() => projects.forEach(killServers))

function hostileProject(port: number, path: string): string {
  const dir = copyFixture('classifier', {
    'hostile.mjs': HOSTILE_RELEASE,
    'mlci.config.mjs': `import local from '@mlci/plugin-local'
      import rollback from '@mlci/plugin-rollback'
      import hostile from './hostile.mjs'
      export default { plugins: [hostile({ path: ${JSON.stringify(path)} }), local({ port: ${port}, health: { intervalMs: 50, timeoutMs: 20000, successes: 1 } }), rollback()] }`,
  })
  execFileSync('rm', ['-f', join(dir, 'mlci.config.ts')])
  execFileSync('python3', ['train.py', '--out', 'out'], { cwd: dir, stdio: 'ignore' })
  projects.push(dir)
  return dir
}

/**
 * Where the hostile path (`out/` then `..` after `..`, then a folder of that unique name) could
 * have landed outside `dir`: a folder of that name in any folder above it, up to the root. Not a
 * recursive scan of the shared tests folder, which other test files fill and empty meanwhile
 * (that raced: ENOENT on a folder removed mid-scan).
 */
function escaped(dir: string, name: string): string[] {
  const found: string[] = []
  for (let above = dirname(dir); ; above = dirname(above)) {
    if (existsSync(join(above, name))) found.push(join(above, name))
    if (dirname(above) === above) return found
  }
}

describe('paths from config and records stay inside the project', () => {
  it("a trainer output with '..' in the middle (out/../../escape.bin) is a config error (exit 2) before anything runs", async () => {
    const dir = testdir({
      'train.py': "open('../escape.bin', 'w').write('x')",
      'mlci.config.mjs': `import trainer from '@mlci/plugin-trainer'
        export default { plugins: [trainer({ command: ['python3', 'train.py'], outputs: ['out/../../escape.bin'] })] }`,
    })
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(2)
    expect(r.stderr).toContain('@mlci/plugin-trainer option outputs[0] "out/../../escape.bin" points outside')
    expect(existsSync(resolve(dir, '../escape.bin'))).toBe(false)
    expect(existsSync(join(dir, '.mlci'))).toBe(false)
  })

  it("a recorded artifact path with '..' in the middle: the local deployer refuses it naming the version, writes nothing outside, at release", async () => {
    const name = `escape-${process.pid}-${Date.now()}`
    const hostile = `out/../../../../../../../${name}/model.json`
    const dir = hostileProject(await freePort(), hostile)
    const build = await runCli(['build'], { cwd: dir, timeoutMs: 120_000 })
    expect(build.code, build.output).toBe(1)
    expect(build.stderr).toContain(`The registry record of version 1.0.0 names an artifact path ${JSON.stringify(hostile)}`)
    expect(escaped(dir, name)).toEqual([])
  })

  it("`mlci rollback --to` a ready version whose record names an artifact path with '..' in the middle: refused naming the version, nothing written outside", async () => {
    const name = `escape-${process.pid}-${Date.now()}`
    const hostile = `out/../../../../../../../${name}/model.json`
    const dir = hostileProject(await freePort(), hostile)
    // Only the registry record is hostile: a ready version, its blob in the store, no release run.
    execFileSync(process.execPath, ['--input-type=module', '-e', `
      import { ContentStore, createEmbeddedRegistry } from '@mlci/core'
      const state = ${JSON.stringify(join(dir, '.mlci'))}
      const { digest, size } = await new ContentStore(state + '/objects').put(${JSON.stringify(join(dir, 'out', 'model.json'))})
      const registry = createEmbeddedRegistry(state)
      await registry.create({ version: '1.0.0', runId: 'r', fingerprint: 'fp', artifacts: [{ path: ${JSON.stringify(hostile)}, digest, size }] })
      await registry.setStatus('1.0.0', 'ready', { reason: 'setup', by: 'test' })`], { cwd: dir })
    const rollback = await runCli(['rollback', '--to', '1.0.0'], { cwd: dir, timeoutMs: 120_000 })
    expect(rollback.code, rollback.output).toBe(1)
    expect(rollback.output).toContain(`The registry record of version 1.0.0 names an artifact path ${JSON.stringify(hostile)}`)
    expect(escaped(dir, name)).toEqual([])
  })
})
