import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { CLI, FIXTURES, copyFixture } from './helpers/testdir.js'
import { WatchProcess, inlinePluginsConfig, processesIn } from './watch-support.js'
import { waitForText } from './helpers/wait.js'

// Real chokidar, real python, the built CLI, on temp copies of fixtures/classifier. The first
// two tests use the fixture's own mlci.config.ts (the real pytest and trainer plugins).
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => spawnSync(p, ['--version']).status === 0)
const running: WatchProcess[] = []
afterEach(async () => {
  for (const w of running.splice(0)) await w.stop('SIGKILL')
})

function watch(cwd: string, args: string[] = [], env: Record<string, string> = {}): WatchProcess {
  const w = new WatchProcess(cwd, args, env)
  running.push(w)
  return w
}

/** Wait for cycle `n` to end; returns where its end line is (the next cycle may follow at once). */
async function cycleEnd(w: WatchProcess, n: number, from = 0): Promise<number> {
  const m = await w.waitFor(new RegExp(`\\[watch\\] \\S+ cycle ${n} (ok|failed|vetoed) in`), from)
  return from + m.index! + m[0].length
}

async function waitForPids(dir: string, needle: string, exclude: number[] = []): Promise<number[]> {
  for (let i = 0; i < 200; i++, await sleep(25)) {
    const pids = processesIn(dir, needle).filter((p) => !exclude.includes(p))
    if (pids.length) return pids
  }
  return []
}

describe('mlci watch', () => {
  it('runs only the phases whose inputs changed; unread files and its own outputs start nothing; SIGINT exits 130', async () => {
    const dir = copyFixture('classifier')
    const w = watch(dir)
    await w.waitFor(/\[watch\] watching \d+ input files for verify → test → validate → train → evaluate → gate/)
    let mark = await cycleEnd(w, 1)
    expect(w.cycles()[0].phases).toEqual(['verify', 'test', 'validate', 'train', 'evaluate', 'gate'])
    expect(w.output).toMatch(/\[watch\] ✔ cycle 1 ok/)
    expect(existsSync(join(dir, 'out/model.json'))).toBe(true)

    appendFileSync(join(dir, 'tests/test_data.py'), '\n# edited\n')
    const end2 = await cycleEnd(w, 2, mark)
    expect(w.cycles(mark)).toEqual([{ n: 2, phases: ['test'], why: 'changed: tests/test_data.py' }])
    expect(w.since(mark)).toMatch(/\[test\] ✓ @mlci\/plugin-pytest/)
    expect(w.since(mark)).not.toMatch(/\[(train|evaluate)\]/)
    mark = end2

    // One batch: the README is nobody's input and is not even listed.
    appendFileSync(join(dir, 'README.md'), '\nA note nobody trains on.\n')
    appendFileSync(join(dir, 'train.py'), '\n# tuned\n')
    const end3 = await cycleEnd(w, 3, mark)
    // pytest declares **/*.py (the tests import train.py), so test runs too; verify does not.
    expect(w.cycles(mark)).toEqual([{ n: 3, phases: ['test', 'train', 'evaluate', 'gate'], why: 'changed: train.py' }])
    expect(w.since(mark)).toMatch(/\[train\] ✓ @mlci\/plugin-trainer/)
    expect(w.since(mark)).toMatch(/accuracy=0\.9/)
    mark = end3

    appendFileSync(join(dir, 'README.md'), '\nAnother note.\n')
    // Training just rewrote out/, pytest wrote __pycache__ and .pytest_cache, mlci wrote .mlci/:
    // none of that (nor the README) may start a cycle. Instead of waiting some seconds for
    // nothing, make one change watch must see, after all of those: the next cycle is number 4
    // and names only it (an earlier spurious cycle would be 4, a batched one would list more).
    appendFileSync(join(dir, 'tests/test_data.py'), '\n# after the README\n')
    const end4 = await cycleEnd(w, 4, mark)
    expect(w.cycles(mark)).toEqual([{ n: 4, phases: ['test'], why: 'changed: tests/test_data.py' }])
    mark = end4

    const { code } = await w.stop('SIGINT')
    expect(code).toBe(130)
    expect(w.output).toMatch(/\[watch\] interrupted/)
    expect(processesIn(dir)).toEqual([])
    expect(existsSync(join(dir, '.mlci/lock'))).toBe(false)
  })

  it('cancels a training run whose inputs change: its process group is killed and the cycle restarts', async () => {
    const dir = copyFixture('classifier')
    // 200 epochs × 50 ms: ~10 s of training, so the edit lands mid-run.
    const w = watch(dir, ['--phases', 'train,evaluate', '--debounce', '50'], { MLCI_PARAM_SLEEP_PER_EPOCH: '0.05' })
    await w.waitFor(/\[train\] @mlci\/plugin-trainer …/)
    const [first] = await waitForPids(dir, 'train.py')
    expect(first).toBeGreaterThan(0)
    const mark = w.output.length

    appendFileSync(join(dir, 'train.py'), '\n# changed mid-run\n')
    await w.waitFor(/cycle 1 cancelled: train\.py changed while train was running; restarting/, mark)
    // The run only ends once exec saw the group exit: it is gone by now, well within the grace period.
    expect(existsSync(`/proc/${first}`)).toBe(false)
    await w.waitFor(/\[watch\] cycle 2 · train → evaluate · changed: train\.py \(restart\)/, mark)
    const second = await waitForPids(dir, 'train.py', [first])
    expect(second).toHaveLength(1)

    const { code } = await w.stop('SIGINT')
    expect(code).toBe(130)
    expect(processesIn(dir)).toEqual([])
    expect(existsSync(`/proc/${second[0]}`)).toBe(false)
    expect(existsSync(join(dir, '.mlci/lock'))).toBe(false)
  })

  it('carries run data across cycles, reloads an edited config, reports a broken one and waits for the fix', async () => {
    const dir = copyFixture('classifier', { 'mlci.config.ts': inlinePluginsConfig({ marker: 'config-a' }), 'gate.yaml': 'min: 0.5\n' })
    const w = watch(dir, ['--phases', 'test,train,evaluate,gate'])
    let mark = await cycleEnd(w, 1)
    expect(w.output).toMatch(/marker config-a/)

    // Only the gate reads gate.yaml: it runs alone and still sees the metrics of cycle 1.
    appendFileSync(join(dir, 'gate.yaml'), '# stricter soon\n')
    const end2 = await cycleEnd(w, 2, mark)
    expect(w.cycles(mark)).toEqual([{ n: 2, phases: ['gate'], why: 'changed: gate.yaml' }])
    expect(w.since(mark)).toMatch(/gate sees accuracy 0\.9/)
    mark = end2

    writeFileSync(join(dir, 'mlci.config.ts'), 'export default { plugins: [\n')
    await w.waitFor(/the config does not load; watching mlci\.config\.ts for the fix/, mark)
    expect(w.since(mark)).toMatch(/mlci\.config\.ts:\d+:\d+: .*\[MLCI_CONFIG_SYNTAX\]/)
    // While broken, changes wait for the fixed config instead of running the old one.
    appendFileSync(join(dir, 'tests/test_model.py'), '\n# edited while broken\n')
    await w.waitFor(/tests\/test_model\.py changed: held until the config loads/, mark)
    expect(w.since(mark)).not.toMatch(/\[watch\] cycle 3/)
    mark = w.output.length

    writeFileSync(join(dir, 'mlci.config.ts'), inlinePluginsConfig({ marker: 'config-b' }))
    await cycleEnd(w, 3, mark)
    expect(w.cycles(mark)).toEqual([{ n: 3, phases: ['test', 'train', 'evaluate', 'gate'], why: 'config reloaded' }])
    expect(w.since(mark)).toMatch(/marker config-b/)
    expect(w.since(mark)).not.toMatch(/marker config-a/)

    expect((await w.stop('SIGINT')).code).toBe(130)
  })

  it('resumes the phases a failure stopped, and keeps a change that does not touch the running phase for the next cycle', async () => {
    const original = readFileSync(join(FIXTURES, 'classifier/tests/test_model.py'), 'utf8')
    const dir = copyFixture('classifier', {
      // 200 epochs × 20 ms: ~4 s of training.
      'mlci.config.ts': inlinePluginsConfig({ trainEnv: { MLCI_PARAM_SLEEP_PER_EPOCH: '0.02' } }),
      'tests/test_model.py': `${original}\n\ndef test_broken():\n    assert False\n`,
    })
    const w = watch(dir, ['--phases', 'test,train,evaluate,gate'])
    let mark = await cycleEnd(w, 1)
    expect(w.output).toMatch(/cycle 1 failed/)
    expect(w.output).not.toMatch(/\[train\]/)

    writeFileSync(join(dir, 'tests/test_model.py'), original)
    await w.waitFor(/\[train test-trainer\] marker/, mark)
    expect(w.cycles(mark)).toEqual([{ n: 2, phases: ['test', 'train', 'evaluate', 'gate'], why: 'changed: tests/test_model.py' }])
    // Training runs: a test edit neither cancels it nor joins this cycle.
    appendFileSync(join(dir, 'tests/test_data.py'), '\n# edited during training\n')
    const end2 = await cycleEnd(w, 2, mark)
    expect(w.since(mark).slice(0, end2 - mark)).not.toMatch(/cancelled/)
    mark = end2
    await cycleEnd(w, 3, mark)
    expect(w.cycles(mark)).toEqual([{ n: 3, phases: ['test'], why: 'changed: tests/test_data.py' }])

    expect((await w.stop('SIGINT')).code).toBe(130)
  })

  it('on a terminal: draws the task tree, clears between cycles, reruns on r and quits on q with exit 0', async () => {
    expect(SCRIPT, 'util-linux `script` gives the CLI a pty: apt-get install -y bsdutils').toBeDefined()
    const dir = copyFixture('classifier', { 'mlci.config.ts': inlinePluginsConfig() })
    // util-linux `script` gives the CLI a real pty (stdin raw mode, listr2's default renderer).
    const child = spawn(SCRIPT!, ['-qfec', `stty cols 120 rows 40; exec ${process.execPath} ${CLI} watch --phases test`, '/dev/null'], {
      cwd: dir, env: { ...process.env, CI: undefined, NO_COLOR: '1', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    const waitFor = (re: RegExp) => waitForText(() => output, re)
    try {
      await waitFor(/cycle 1 ok/)
      expect(output).toContain('\u001b[2J') // cleared before the cycle
      expect(output).toMatch(/press r to rerun, f to force all, q to quit/)
      expect(output).toMatch(/✔ test/) // listr2's tree, not the plain lines
      expect(output).not.toMatch(/\[test\] test-pytest …/)
      child.stdin.write('r')
      await waitFor(/\[watch\] cycle 2 · test · rerun/)
      await waitFor(/cycle 2 ok/)
      child.stdin.write('q')
      expect(await exited).toBe(0)
      expect(output).toMatch(/\[watch\] bye/)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('never deploys unless asked', async () => {
    const dir = copyFixture('classifier')
    const w = watch(dir, ['--phases', 'test,deploy'])
    expect((await w.exit).code).toBe(2)
    expect(w.output).toMatch(/--phases includes deploy, but watch mode only deploys when asked/)
    expect(w.output).toMatch(/Pass --deploy/)
  })
})
