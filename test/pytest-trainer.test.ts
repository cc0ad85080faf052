import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { copyFixture, testdir } from './helpers/testdir.js'

// The classifier fixture, built with its own mlci.config.ts: real python, real pytest, real training.

const REAL_PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()

function runRecords(dir: string): Record<string, any>[] {
  const runs = join(dir, '.mlci', 'runs')
  return readdirSync(runs).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(runs, f), 'utf8')))
}
const lastRecord = (dir: string) => runRecords(dir).pop()!
const phase = (record: Record<string, any>, name: string) => record.phases.find((p: { name: string }) => p.name === name)

/** Edit a fixture file in place; fails loudly if the text to replace is not there. */
function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file)
  const text = readFileSync(path, 'utf8')
  expect(text).toContain(from)
  writeFileSync(path, text.replace(from, to))
}

/** Alive and not a zombie (orphans may wait for a reaper this sandbox lacks). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Live (non-zombie) processes whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // state ppid pgrp …
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) out.push(Number(name))
    } catch {
      // exited while we looked
    }
  }
  return out
}

describe('pytest and trainer plugins on the classifier fixture', () => {
  it('first build runs pytest and training for real and records counts and metrics; a cached build starts no Python', async () => {
    const dir = copyFixture('classifier')
    // A python3 on PATH that logs every launch, like the pyenv shim it stands for.
    const bin = testdir()
    const launches = join(bin, 'launches.log')
    writeFileSync(join(bin, 'python3'), `#!/bin/sh\necho "launch $1" >> '${launches}'\nexec '${REAL_PYTHON}' "$@"\n`)
    chmodSync(join(bin, 'python3'), 0o755)
    const env = { PATH: `${bin}:${process.env.PATH}` }

    const first = await runCli(['build', '--verbose'], { cwd: dir, env })
    expect(first.code, first.output).toBe(0)
    // Live counts and the trainer's last line reach the UI.
    expect(first.stdout).toMatch(/\[test @mlci\/plugin-pytest\] 18 passed/)
    expect(first.stdout).toMatch(/\[train @mlci\/plugin-trainer\] done in [\d.]+s: accuracy=0\.96/)
    const record = lastRecord(dir)
    expect(record.status).toBe('ok')
    expect(record.data.tests).toMatchObject({ passed: 18, failed: 0, skipped: 0, errors: 0, total: 18, failures: [] })
    expect(record.data.tests.durationMs).toBeGreaterThan(0)
    // Golden values with a tolerance: another BLAS or numpy changes the last digits, not the model.
    expect(record.data.metrics).toMatchObject({ accuracy: expect.closeTo(0.96, 2), f1_macro: expect.closeTo(0.960371, 3) })
    expect(Object.values(record.data.metrics).every((v) => Number.isFinite(v))).toBe(true)
    expect(record.data.params).toEqual(JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')))
    const model = readFileSync(join(dir, 'out/model.json'))
    expect(record.data.artifacts).toEqual([
      { path: 'out/model.json', digest: `sha256:${createHash('sha256').update(model).digest('hex')}`, size: model.length },
    ])
    expect(record.data.signature.outputs).toEqual({ classes: ['blue', 'green', 'red'] })
    expect(record.data.signature.inputs.map((i: { name: string }) => i.name)).toEqual(['length', 'width', 'mass', 'density', 'noise'])
    // One launch of the shim for the whole build (the interpreter probe); pytest and training
    // ran the real interpreter directly.
    const probes = readFileSync(launches, 'utf8').trim().split('\n')
    expect(probes).toHaveLength(1)
    expect(probes[0]).toBe('launch -c')

    const second = await runCli(['build'], { cwd: dir, env })
    expect(second.code, second.output).toBe(0)
    const cached = lastRecord(dir)
    expect(['test', 'train', 'evaluate'].map((p) => phase(cached, p).status)).toEqual(['cached', 'cached', 'cached'])
    expect(cached.data.metrics).toEqual(record.data.metrics)
    expect(readFileSync(launches, 'utf8').trim().split('\n')).toHaveLength(1)

    // A param overridden from the environment is part of the train fingerprint.
    const retrain = await runCli(['build'], { cwd: dir, env: { ...env, MLCI_PARAM_EPOCHS: '3' } })
    expect(retrain.code, retrain.output).toBe(0)
    const retrained = lastRecord(dir)
    expect(['test', 'train', 'evaluate'].map((p) => phase(retrained, p).status)).toEqual(['cached', 'ok', 'ok'])
    expect(retrained.data.metrics.accuracy).toBeLessThan(record.data.metrics.accuracy)
    expect(readFileSync(launches, 'utf8').trim().split('\n')).toHaveLength(1)
  })

  it('a failing test fails the test phase naming the test, records the counts, and nothing trains', async () => {
    const dir = copyFixture('classifier')
    writeFileSync(join(dir, 'tests/test_broken.py'), 'def test_on_purpose():\n    assert 1 == 2, "deliberately broken"\n')
    const result = await runCli(['build'], { cwd: dir })
    expect(result.code, result.output).toBe(1)
    expect(result.stderr).toContain('1 of 19 tests failed: tests/test_broken.py::test_on_purpose')
    expect(result.stderr).toContain('- tests/test_broken.py::test_on_purpose: AssertionError: deliberately broken')
    const record = lastRecord(dir)
    expect(phase(record, 'test').status).toBe('failed')
    expect(phase(record, 'train')).toBeUndefined()
    expect(record.data.tests).toMatchObject({ passed: 18, failed: 1, total: 19 })
    expect(existsSync(join(dir, 'out'))).toBe(false)
  })

  it('no tests at all: a clear error saying how to allow it', async () => {
    const dir = copyFixture('classifier')
    rmSync(join(dir, 'tests'), { recursive: true })
    const result = await runCli(['build', '--only', 'verify,test'], { cwd: dir })
    expect(result.code, result.output).toBe(1)
    expect(result.stderr).toMatch(/pytest collected no tests in \S+/)
    expect(result.stderr).toContain('allowNoTests: true')
    expect(result.stderr).toContain('MLCI_NO_TESTS')
    edit(dir, 'mlci.config.ts', 'pytest({', 'pytest({ allowNoTests: true,')
    const allowed = await runCli(['build', '--only', 'verify,test'], { cwd: dir })
    expect(allowed.code, allowed.output).toBe(0)
    expect(allowed.stdout).toContain('pytest collected no tests')
    expect(lastRecord(dir).data.tests).toMatchObject({ total: 0, passed: 0 })
  })

  it('PATH without Python: verify fails before anything runs, saying what to set', async () => {
    const dir = copyFixture('classifier')
    const result = await runCli(['build'], { cwd: dir, env: { PATH: testdir(), MLCI_PYTHON: undefined } })
    expect(result.code, result.output).toBe(1)
    expect(result.stderr).toContain('Python interpreter not found: tried python3, python on PATH.')
    expect(result.stderr).toContain('MLCI_PYTHON=/path/to/python')
    expect(result.stderr).toContain("pytest({ python: '/path/to/python' })")
    expect(result.stderr).toContain('Training command not found: python3 on PATH.')
    const record = lastRecord(dir)
    expect(record.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`)).toEqual(['verify:failed'])
    expect(existsSync(join(dir, 'out'))).toBe(false)
  })

  it('an interpreter without pytest fails `--only verify` naming the interpreter, and a build at its test phase before training', async () => {
    const dir = copyFixture('classifier')
    // A real interpreter that cannot import pytest on any machine: a venv sees only its own
    // (empty) site-packages, whatever the system Python has installed.
    const venv = join(testdir(), 'venv')
    execFileSync(REAL_PYTHON, ['-m', 'venv', '--without-pip', venv])
    const python = join(venv, 'bin/python')
    const result = await runCli(['build', '--only', 'verify'], { cwd: dir, env: { MLCI_PYTHON: python } })
    expect(result.code, result.output).toBe(1)
    expect(result.stderr).toContain(`pytest cannot be imported by ${python} (`)
    expect(result.stderr).toMatch(/\): ModuleNotFoundError/)
    expect(result.stderr).toContain('-m pip install pytest')
    // A build's verify only looks the interpreter up (a cached test phase needs no Python); the
    // test phase asks it for pytest and stops the build there, before any training.
    const build = await runCli(['build'], { cwd: dir, env: { MLCI_PYTHON: python } })
    expect(build.code, build.output).toBe(1)
    expect(build.stderr).toContain(`pytest cannot be imported by ${python} (`)
    expect(lastRecord(dir).phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`)).toEqual(['verify:ok', 'test:failed'])
    expect(existsSync(join(dir, 'out'))).toBe(false)
  })

  it('training that exits 0 without writing its model fails naming the file, and is not cached', async () => {
    const dir = copyFixture('classifier')
    edit(dir, 'train.py', '    write_json_atomic(os.path.join(out, "model.json"), model)\n', '')
    for (let run = 0; run < 2; run++) {
      const result = await runCli(['build', '--skip', 'test'], { cwd: dir })
      expect(result.code, result.output).toBe(1)
      expect(result.stderr).toContain('Training exited 0 but did not write out/model.json.')
      expect(result.stderr).toContain('MLCI_OUTPUT_MISSING')
      expect(phase(lastRecord(dir), 'train').status).toBe('failed')
    }
  })

  it('a model left over from an earlier run does not count as written', async () => {
    const dir = copyFixture('classifier')
    const ok = await runCli(['build', '--skip', 'test'], { cwd: dir })
    expect(ok.code, ok.output).toBe(0)
    edit(dir, 'train.py', '    write_json_atomic(os.path.join(out, "model.json"), model)\n', '')
    const result = await runCli(['build', '--skip', 'test'], { cwd: dir })
    expect(result.code, result.output).toBe(1)
    expect(result.stderr).toContain('did not write out/model.json (the one there is left over from an earlier run)')
  })

  it('NaN accuracy fails evaluate naming the metric and file, and is not cached', async () => {
    const dir = copyFixture('classifier')
    edit(dir, 'train.py', '    metrics = evaluate(model, X[te], [labels[i] for i in te])\n',
      '    metrics = evaluate(model, X[te], [labels[i] for i in te])\n    metrics["accuracy"] = float("nan")\n')
    for (let run = 0; run < 2; run++) {
      const result = await runCli(['build', '--skip', 'test'], { cwd: dir })
      expect(result.code, result.output).toBe(1)
      expect(result.stderr).toContain('Metric accuracy is NaN in out/metrics.json.')
      expect(result.stderr).toContain('MLCI_METRIC_INVALID')
      expect(phase(lastRecord(dir), 'evaluate').status).toBe('failed')
    }
    expect(readFileSync(join(dir, 'out/metrics.json'), 'utf8')).toMatch(/"accuracy": NaN/)
  })

  it('Ctrl-C during a long training run exits 130 and leaves no process of the training group', async () => {
    const dir = copyFixture('classifier')
    // The training prints its pid (= its process group, mlci starts it as a group leader) and
    // starts a grandchild that would outlive a plain kill of the parent.
    edit(dir, 'train.py', '    argv = sys.argv[1:] if argv is None else argv\n',
      '    argv = sys.argv[1:] if argv is None else argv\n' +
      '    import subprocess\n    helper = subprocess.Popen(["sleep", "60"])\n' +
      '    print(f"pids {os.getpid()} {helper.pid}", flush=True)\n')
    let pids: number[] = []
    let sent = false
    const result = await runCli(['build', '--skip', 'test', '--verbose'], {
      cwd: dir,
      env: { MLCI_PARAM_SLEEP_PER_EPOCH: '0.05' },
      onSpawn: (child) => {
        let seen = ''
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk
          const match = /pids (\d+) (\d+)/.exec(seen)
          if (match) pids = [Number(match[1]), Number(match[2])]
          // Interrupt once training is visibly under way.
          if (!sent && match && /epoch \d+\/200/.test(seen)) {
            sent = true
            child.kill('SIGINT')
          }
        })
      },
    })
    expect(sent, result.output).toBe(true)
    expect(result.code, result.output).toBe(130)
    expect(pids).toHaveLength(2)
    expect(pids.filter(isRunning)).toEqual([])
    expect(groupMembers(pids[0])).toEqual([])
    expect(phase(lastRecord(dir), 'train').status).toBe('interrupted')
    expect(existsSync(join(dir, 'out/model.json'))).toBe(false)
  })

  it('secrets in the env that training echoes never reach the output or the run record', async () => {
    const dir = copyFixture('classifier')
    const secret = 'tr41n-s3cret-value-0042'
    edit(dir, 'train.py', '    argv = sys.argv[1:] if argv is None else argv\n',
      '    argv = sys.argv[1:] if argv is None else argv\n' +
      '    print("token is " + os.environ["MODEL_HUB_TOKEN"], flush=True)\n' +
      '    print("failing with " + os.environ["MODEL_HUB_TOKEN"], file=sys.stderr)\n    return 3\n')
    const result = await runCli(['build', '--skip', 'test', '--verbose'], { cwd: dir, env: { MODEL_HUB_TOKEN: secret } })
    expect(result.code, result.output).toBe(1)
    expect(result.stdout).toContain('token is [redacted]')
    expect(result.stderr).toContain('failing with [redacted]')
    expect(result.output).not.toContain(secret)
    const runs = join(dir, '.mlci', 'runs')
    const files = readdirSync(runs)
    expect(files.some((f) => f.endsWith('.json'))).toBe(true)
    for (const file of files) expect(readFileSync(join(runs, file), 'utf8'), file).not.toContain(secret)
  })

  it('a wrong plugin option exits 2 naming its key path', async () => {
    const dir = copyFixture('classifier')
    edit(dir, 'mlci.config.ts', "command: ['python3', 'train.py', '--out', 'out'],", "command: 'python3 train.py',")
    const result = await runCli(['build'], { cwd: dir })
    expect(result.code, result.output).toBe(2)
    expect(result.stderr).toContain('@mlci/plugin-trainer.command must be an array of strings, got the string "python3 train.py"')
  })
})
