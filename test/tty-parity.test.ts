import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { freePort } from './helpers/net.mjs'
import { describeWith } from './helpers/requirements.js'
import { CLI, copyFixture } from './helpers/testdir.js'
import { waitUntil } from './helpers/wait.js'
import { killServers } from './rollback/project.js'

// The TTY (listr2) view tells the same story as the plain renderer: the same build of the
// classifier (tests, training, gate, version, local deploy, monitor) run in two identical
// copies, one through a pipe (plain) and one in a real pseudo-terminal (tmux, whose screen we
// read back as a person sees it). The facts are compared line by line after normalising ports,
// pids and durations.

const tmux = {
  name: 'tmux',
  missing: () => {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'ignore' })
      return undefined
    } catch {
      return 'no tmux on PATH'
    }
  },
  howTo: 'Install it: apt-get install -y tmux.',
}

const config = (port: number) => `import { defineConfig } from '@mlci/core'
import pytest from '@mlci/plugin-pytest'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
import local from '@mlci/plugin-local'
import monitor from '@mlci/plugin-monitor'
import rollback from '@mlci/plugin-rollback'
export default defineConfig({ plugins: [
  pytest({ inputs: ['**/*.py', 'pytest.ini', 'params.json', '**/*.csv', '!.mlci/**', '!out/**'] }),
  trainer({ command: ['python3', 'train.py', '--out', 'out'], params: 'params.json', paramsMode: 'file', inputs: ['train.py', 'params.json', 'data/train.csv'],
            outputs: ['out/model.json'], metrics: 'out/metrics.json', signature: 'out/signature.json' }),
  semver({ gate: { accuracy: { min: 0.9, maxDrop: 0.02 } } }),
  local({ port: ${port} }),
  monitor({ interval: '100ms', count: 3, metrics: [{ name: 'accuracy', probe: { csv: 'probe.csv', value: 'accuracy' }, successCondition: 'result >= 0.9' }] }),
  rollback(),
] })
`

const socket = `mlci-tty-${process.pid}`
const projects: string[] = []
afterAll(() => {
  for (const dir of projects) killServers(dir) // the local deployer's servers outlive the builds
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' })
  } catch {
    // no server left
  }
})

/** Run `mlci <args>` in a 200×80 tmux pseudo-terminal; the final screen, wrapped lines joined. */
async function inTerminal(dir: string, args: string[], env: Record<string, string> = {}, name = 'build'): Promise<{ screen: string; code: number }> {
  const vars = Object.entries({ TERM: 'xterm-256color', NO_COLOR: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', ...env }).map(([k, v]) => `${k}=${v}`)
  const command = ['env', '-u', 'CI', '-u', 'GITHUB_ACTIONS', ...vars, process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', name, '-x', '200', '-y', '80', '-c', dir, `${command}; echo EXIT=$?; sleep 600`])
  const capture = () => execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-t', name], { encoding: 'utf8' })
  await waitUntil(() => /EXIT=\d+/.test(capture()), `mlci ${args.join(' ')} finished in tmux`, 120_000, 100)
  const screen = capture()
  execFileSync('tmux', ['-L', socket, 'kill-session', '-t', name])
  return { screen, code: Number(/EXIT=(\d+)/.exec(screen)![1]) }
}

/** The facts of a build, normalised (ports, pids, times, paths), whichever renderer wrote them. */
function facts(text: string): string[] {
  const wanted = [
    /accuracy \d\.\d+ .*— ≥ 0\.9, worse by ≤ 0\.02 vs live \(higher is better\): (pass|FAIL).*/,
    /Recorded \S+ \(pending\): .*/,
    /\S+ is live on http:\/\/127\.0\.0\.1:\d+.*/,
    /sample 3\/3 accuracy=\S+ ✔/,
    /analysis "analysis" of \S+ succeeded: 3 sample\(s\)/,
    /Vetoed: .*/,
  ]
  const found = text.split('\n').flatMap((line) => wanted.map((re) => re.exec(line)?.[0]).filter((m): m is string => Boolean(m)))
  return [...new Set(found.map((f) => f.replace(/127\.0\.0\.1:\d+/g, 'HOST').replace(/pid \d+/g, 'pid N').replace(/, log \S+\)/, ')').trim()))].sort()
}

describeWith(tmux, 'the TTY view shows what the plain renderer shows', () => {
  it('a build: gate verdict, version and reason, deploy URL, monitor samples — the same facts; each once; no rollback row', async () => {
    const plainDir = copyFixture('classifier', { 'mlci.config.ts': config(await freePort()) })
    const ttyDir = copyFixture('classifier', { 'mlci.config.ts': config(await freePort()) })
    projects.push(plainDir, ttyDir)
    const plain = await runCli(['build'], { cwd: plainDir })
    expect(plain.code, plain.output).toBe(0)
    const tty = await inTerminal(ttyDir, ['build'])
    expect(tty.code, tty.screen).toBe(0)

    const expected = facts(plain.stdout)
    // The plain run has all five kinds of fact (so an empty match cannot pass).
    expect(expected.map((f) => f.replace(/[\d.]+\+data\.[0-9a-f]{7}/g, 'V').replace(/\d\.\d+/g, 'N').slice(0, 24)).sort(), plain.stdout).toEqual([
      'Recorded V (pending): in', 'V is live on http://HOST', 'accuracy N — ≥ N, worse ', 'analysis "analysis" of V', 'sample 3/3 accuracy=N ✔',
    ].sort())
    expect(facts(tty.screen)).toEqual(expected)
    expect(tty.screen).toMatch(/analysis "analysis" of 0\.1\.0\+data\.[0-9a-f]{7} succeeded: 3 sample\(s\)/)
    // One live sample line, not one per sample; no line of output twice; no "rollback not run".
    expect(tty.screen.match(/sample \d\/3/g)).toHaveLength(1)
    const outputLines = tty.screen.split('\n').map((l) => l.replace(/^\s*›?\s*/, '')).filter((l) => /Recorded|is live on|succeeded|worse by/.test(l))
    expect(new Set(outputLines).size, tty.screen).toBe(outputLines.length)
    expect(tty.screen).not.toMatch(/rollback/)
    expect(tty.screen).toMatch(/✔ build ok · version 0\.1\.0\+data\.[0-9a-f]{7}/)

    // A veto: ✖ on the gate's tap in both renderers, with the same verdict.
    const vetoEnv = { MLCI_PARAM_EPOCHS: '1', MLCI_PARAM_LEARNING_RATE: '0.001' }
    const plainVeto = await runCli(['build'], { cwd: plainDir, env: vetoEnv })
    expect(plainVeto.code, plainVeto.output).toBe(3)
    expect(plainVeto.stdout).toMatch(/\[gate\] ✖ @mlci\/plugin-semver/)
    expect(plainVeto.stdout).not.toMatch(/\[gate\] ✓/)
    const ttyVeto = await inTerminal(ttyDir, ['build'], vetoEnv, 'veto')
    expect(ttyVeto.code, ttyVeto.screen).toBe(3)
    expect(ttyVeto.screen).toMatch(/✖ @mlci\/plugin-semver/)
    expect(ttyVeto.screen).not.toMatch(/✔ gate|✔ @mlci\/plugin-semver \[/)
    expect(facts(ttyVeto.screen).filter((f) => !f.startsWith('Vetoed'))).toEqual(facts(plainVeto.stdout).filter((f) => !f.startsWith('Vetoed')))
  })
})
