// What each command loads (issue 15): `mlci --version` and `mlci --help` answer without
// @mlci/core; a command loads what it uses. Node's own ESM debug log (NODE_DEBUG=esm) names
// every module the real CLI loaded.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { REPO, testdir } from './helpers/testdir.js'

/** The file: URLs of the modules a CLI run loaded, from Node's ESM debug log on stderr. */
function loaded(stderr: string): string[] {
  return [...stderr.matchAll(/Storing (file:\/\/\S+) /g)].map((m) => m[1])
}

const CORE_INDEX = '/packages/core/dist/bundle/index.js'

describe('startup loads only what the command uses', () => {
  it('--version prints the CLI package version and loads no core', async () => {
    const r = await runCli(['--version'], { cwd: testdir(), env: { NODE_DEBUG: 'esm' } })
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')).version)
    const modules = loaded(r.stderr)
    expect(modules.some((m) => m.endsWith('/packages/cli/dist/bundle/main.js'))).toBe(true)
    expect(modules.filter((m) => m.endsWith(CORE_INDEX))).toEqual([])
  })

  it('--help, help and a bare `mlci` print the main help without core (exit 0, 0 and 2)', async () => {
    for (const [args, code] of [[['--help'], 0], [['help'], 0], [[], 2], [['--cwd', '.'], 2]] as const) {
      const r = await runCli([...args], { cwd: testdir(), env: { NODE_DEBUG: 'esm' } })
      expect(r.code, args.join(' ')).toBe(code)
      expect(r.stdout).toContain('Usage: mlci [global options] <command> [options]')
      expect(r.stdout).toMatch(/--config <file>\s+Use this config file/)
      expect(loaded(r.stderr).filter((m) => m.endsWith(CORE_INDEX)), args.join(' ')).toEqual([])
    }
  })

  it('a command still loads core (and `build --help` its own flags)', async () => {
    const r = await runCli(['build', '--help'], { cwd: testdir(), env: { NODE_DEBUG: 'esm' } })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--wait-for-lock')
    expect(loaded(r.stderr).some((m) => m.endsWith(CORE_INDEX))).toBe(true)
  })
})
