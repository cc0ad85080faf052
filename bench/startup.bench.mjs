// Issue 2: a no-op `mlci build` (TS config, three trivial plugins) beside `node -e 0` and beside
// the same build with an .mjs config. Target: TS-config build ≤ 1.6× `node -e 0`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { table, timeCommand } from './lib.mjs'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(repo, 'packages/cli/bin/mlci.js')
// Inside the repo so '@mlci/core' resolves through the workspace's node_modules.
const base = join(repo, 'bench/.tmp/startup')

const plugins = (ts) => `
import { definePlugin } from '@mlci/core'
const noop = (name${ts ? ': string' : ''}) => definePlugin(() => ({ name, apply(mlci) { mlci.hooks.verify.tapPromise(name, async () => {}) } }))()
export default { plugins: [noop('a'), noop('b'), noop('c')] }
`

export default async function () {
  rmSync(base, { recursive: true, force: true })
  for (const [dir, file, ts] of [['ts', 'mlci.config.ts', true], ['mjs', 'mlci.config.mjs', false]]) {
    mkdirSync(join(base, dir), { recursive: true })
    writeFileSync(join(base, dir, file), plugins(ts))
  }
  const runs = 25
  const node = timeCommand(['node', '-e', '0'], { runs })
  const version = timeCommand(['node', cli, '--version'], { runs })
  const ts = timeCommand(['node', cli, 'build', '--cwd', join(base, 'ts')], { runs })
  const mjs = timeCommand(['node', cli, 'build', '--cwd', join(base, 'mjs')], { runs })
  console.log(`median of ${runs} runs each (ratio vs node -e 0; NODE_EXTRA_CA_CERTS unset)`)
  table([
    ['node -e 0', node],
    ['mlci --version', version],
    ['mlci build, .mjs config, 3 trivial plugins, nothing to do', mjs],
    ['mlci build, .ts config, 3 trivial plugins, nothing to do', ts],
  ], node)
  console.log(`.ts config vs .mjs config: ${(ts / mjs).toFixed(2)}× (${(ts - mjs).toFixed(1)} ms; target ≤ 15 ms)`)
  console.log(`.ts build vs node -e 0: ${(ts / node).toFixed(2)}× (target ≤ 1.60×)`)
  rmSync(base, { recursive: true, force: true })
}
