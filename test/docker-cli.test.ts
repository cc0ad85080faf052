// The docker deployer's "no engine" paths, through the real CLI, on any machine: they must not
// need an engine to be tested (the engine tests in plugins/docker need one).
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { testdir } from './helpers/testdir.js'
import { treeSnapshot } from './helpers/tree.js'

function dockerProject(): string {
  const dir = testdir({
    'mlci.config.mjs': `import docker from '@mlci/plugin-docker'
export default { plugins: [docker({ image: 'mlci-test/down', name: 'down', port: 8999, generate: { base: 'mlci-busybox:latest', copy: ['www'], cmd: ['httpd'] } })] }
`,
  })
  mkdirSync(join(dir, 'www'))
  return dir
}

describe('docker deployer without an engine (CLI)', () => {
  it('the daemon down: verify fails with exit 1 naming DOCKER_HOST and how to fix it; nothing built, deployed or recorded', async () => {
    const dir = dockerProject()
    const socket = join(dir, 'no-engine.sock') // nothing listens here
    const before = treeSnapshot(dir)
    const r = await runCli(['build'], { cwd: dir, env: { DOCKER_HOST: `unix://${socket}` } })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain(`Docker engine not reachable at unix://${socket}: Cannot connect to the Docker daemon`)
    expect(r.stderr).toContain(`DOCKER_HOST is set to "unix://${socket}": point it at a running engine or unset it`)
    expect(r.stderr).toContain('Nothing was built or deployed.')
    expect(r.stderr).toContain('[MLCI_VERIFY_FAILED]')
    expect(r.stdout).not.toMatch(/\[deploy\]/)
    // Only the run's own record and log were written; no registry, no journal.
    const added = Object.keys(treeSnapshot(dir)).filter((p) => !(p in before))
    expect(added.filter((p) => !p.startsWith('.mlci/runs') && p !== '.mlci')).toEqual([])
    expect(existsSync(join(dir, '.mlci', 'registry'))).toBe(false)
    expect(readdirSync(join(dir, '.mlci', 'runs')).some((f) => f.endsWith('.json'))).toBe(true)
  })

  it('no docker CLI at all: verify says to install Docker or use the local deployer', async () => {
    const dir = dockerProject()
    const r = await runCli(['build'], { cwd: dir, env: { PATH: testdir(), DOCKER_HOST: undefined } })
    expect(r.code, r.output).toBe(1)
    expect(r.stderr).toContain('The docker CLI is not installed (no `docker` on PATH).')
    expect(r.stderr).toContain('use the local deployer (@mlci/plugin-local)')
    expect(existsSync(join(dir, '.mlci', 'registry'))).toBe(false)
  })
})
