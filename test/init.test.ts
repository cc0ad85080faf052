import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectProject } from '../packages/cli/src/init/detect.js'
import { existingConfig } from '../packages/cli/src/init/existing-config.js'
import { renderConfig } from '../packages/cli/src/init/render-config.js'
import { runCli } from './helpers/cli.js'
import { freePort } from './helpers/net.mjs'
import { copyFixture, testdir, usePort } from './helpers/testdir.js'

/** Every file under `dir` with its size and mtime, for "touched nothing else". */
function snapshot(dir: string, skip = new Set(['mlci.config.ts'])): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(join(d, e.name), r)
      else if (!skip.has(r)) {
        const s = statSync(join(d, e.name))
        out[r] = `${s.size}:${s.mtimeMs}`
      }
    }
  }
  walk(dir, '')
  return out
}

/** The active (not commented-out) lines of a generated config. */
const activeLines = (text: string) => text.split('\n').filter((l) => !l.trimStart().startsWith('//')).join('\n')

describe('mlci init on the classifier fixture (without its config)', () => {
  it('writes a config with which build --dry-run and a real build succeed; refuses a second time; --force overwrites', async () => {
    const dir = copyFixture('classifier')
    rmSync(join(dir, 'mlci.config.ts'))
    const before = snapshot(dir)

    const init = await runCli(['init'], { cwd: dir })
    expect(init.code, init.output).toBe(0)
    expect(snapshot(dir)).toEqual(before) // only mlci.config.ts was written
    expect(init.stdout).toContain('Wrote mlci.config.ts')
    expect(init.stdout).toMatch(/npm install --save-dev @mlci\/cli @mlci\/core @mlci\/plugin-pytest @mlci\/plugin-trainer @mlci\/plugin-semver @mlci\/plugin-local @mlci\/plugin-monitor @mlci\/plugin-rollback\n/)
    expect(init.stdout).toContain('npx mlci build --dry-run')

    const config = readFileSync(join(dir, 'mlci.config.ts'), 'utf8')
    const active = activeLines(config)
    expect(active).toContain("command: ['python3', 'train.py'],")
    expect(active).toContain("params: 'params.json',\n      paramsMode: 'file',")
    expect(active).toContain("metrics: 'out/metrics.json',")
    expect(active).toContain("outputs: ['out/model.json'],")
    expect(active).toContain("signature: 'out/signature.json',")
    expect(active).toMatch(/gate: \{\n\s+accuracy: \{\n\s+maxDrop: 0\.02,/)
    expect(active).toContain("command: ['python3', 'serve.py', '--model', '{model}', '--host', '{host}', '--port', '{port}', '--model-version', '{version}'],")
    expect(active).toContain("probe: { csv: 'probe.csv', value: 'error_rate' }")
    expect(active).toContain('rollback(),')
    expect(active).not.toContain('docker(') // the Docker deployer is offered, commented out
    expect(config).toContain("// import docker from '@mlci/plugin-docker'")
    expect(config).toContain('// train.py writes "metrics.json" into its output folder (DEFAULT_OUT = "out").')

    // The README's demo server may still hold the default port 8731 (the local deployer's verify
    // checks it even with deploy skipped): build on a free one.
    await usePort(join(dir, 'mlci.config.ts'), await freePort())
    const dry = await runCli(['build', '--dry-run'], { cwd: dir })
    expect(dry.code, dry.output).toBe(0)
    const real = await runCli(['build', '--skip', 'deploy,monitor'], { cwd: dir })
    expect(real.code, real.output).toBe(0)
    expect(real.output).toMatch(/accuracy 0\.96 .*pass/)
    expect(readdirSync(join(dir, '.mlci', 'registry', 'versions'))).toHaveLength(1)

    writeFileSync(join(dir, 'mlci.config.ts'), config + '// my edit\n')
    const again = await runCli(['init'], { cwd: dir })
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('mlci.config.ts already holds an mlci config')
    expect(again.stderr).toContain('--force')
    expect(readFileSync(join(dir, 'mlci.config.ts'), 'utf8')).toContain('// my edit')

    const forced = await runCli(['init', '--force'], { cwd: dir })
    expect(forced.code, forced.output).toBe(0)
    const rewritten = readFileSync(join(dir, 'mlci.config.ts'), 'utf8')
    expect(rewritten).not.toContain('// my edit')
    // Detected afresh: the build left out/metrics.json, whose value now informs the comments.
    // Values from real training, compared with a tolerance (a BLAS change moves the last digits).
    const held = /The gate: out\/metrics\.json holds accuracy = ([\d.]+)/.exec(rewritten)
    expect(held, rewritten).not.toBeNull()
    expect(Number(held![1])).toBeCloseTo(0.96, 2)
    const min = /\/\/ min: ([\d.]+),/.exec(rewritten)
    expect(Number(min?.[1])).toBeCloseTo(Number(held![1]) - 0.05, 6)
  })
})

// A training script with argparse flags and a YAML params file, no tests, no server.
const TRAIN_MODEL = `import argparse, json, os, pickle

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--output-dir", default="outputs")
    a = p.parse_args()
    os.makedirs(a.output_dir, exist_ok=True)
    with open(os.path.join(a.output_dir, "model.pkl"), "wb") as f:
        pickle.dump({"lr": a.lr}, f)
    with open(os.path.join(a.output_dir, "metrics.json"), "w") as f:
        json.dump({"f1": 0.5 + a.lr, "loss": 1 / a.epochs}, f)
`

describe('mlci init in a repo with only a training script', () => {
  it('writes a config without pytest that loads and builds', async () => {
    const dir = testdir({ 'pipeline/train_model.py': TRAIN_MODEL, 'pipeline/params.yaml': 'lr: 0.2\nepochs: 4\n' })
    const init = await runCli(['init'], { cwd: dir })
    expect(init.code, init.output).toBe(0)
    expect(init.stdout).toMatch(/tests\s+not found/)
    expect(init.stdout).toMatch(/@mlci\/plugin-semver\n/) // no pytest, local, monitor or rollback to install
    const config = readFileSync(join(dir, 'mlci.config.ts'), 'utf8')
    expect(config).toContain("// import pytest from '@mlci/plugin-pytest'")
    expect(config).toContain('    // pytest(),')
    const active = activeLines(config)
    expect(active).toContain("command: ['python3', 'pipeline/train_model.py'],")
    expect(active).toContain("params: 'pipeline/params.yaml',\n      paramsMode: 'argv',")
    expect(active).toContain("outputs: ['outputs/model.pkl'],")
    expect(active).toContain("metrics: 'outputs/metrics.json',")
    expect(active).toMatch(/gate: \{\n\s+f1: \{/)
    expect(active).not.toMatch(/pytest\(|local\(|monitor\(|rollback\(/)

    const plugins = await runCli(['plugins'], { cwd: dir })
    expect(plugins.code, plugins.output).toBe(0)
    expect(plugins.stdout).toContain('@mlci/plugin-trainer')
    expect(plugins.stdout).not.toContain('@mlci/plugin-pytest')
    const build = await runCli(['build'], { cwd: dir })
    expect(build.code, build.output).toBe(0)
    expect(build.output).toMatch(/f1=0\.7\b/) // lr 0.2 from params.yaml reached the script as --lr
  })

  it('refuses when package.json holds an "mlci" key, naming package.json', async () => {
    const dir = testdir({ 'train.py': TRAIN_MODEL, 'package.json': JSON.stringify({ name: 'x', mlci: { plugins: [] } }) })
    const r = await runCli(['init'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('package.json (its "mlci" key) already holds an mlci config')
    expect(statSync(join(dir, 'mlci.config.ts'), { throwIfNoEntry: false })).toBeUndefined()
  })
})

describe('init detection', () => {
  it('finds tests by file name and pytest config in pyproject.toml; none without test files', () => {
    const dir = testdir({ 'pkg/core_test.py': '', 'pkg/core.py': '', 'pyproject.toml': '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n' })
    const tests = detectProject(dir).tests!
    expect(tests.files).toEqual(['pkg/core_test.py'])
    expect(tests.config).toEqual({ value: 'pyproject.toml', from: 'the [tool.pytest.ini_options] section of pyproject.toml' })
    expect(detectProject(testdir({ 'pytest.ini': '[pytest]\n', 'main.py': '' })).tests).toBeUndefined()
  })

  it('prefers the usual training script paths, else a runnable script named *train*, never a test', () => {
    const guard = 'if __name__ == "__main__":\n    main()\n'
    expect(detectProject(testdir({ 'scripts/train.py': '', 'train_old.py': guard })).training?.script.value).toBe('scripts/train.py')
    expect(detectProject(testdir({ 'jobs/train_big.py': guard, 'tests/test_train.py': guard, 'retrain_lib.py': 'x = 1\n' })).training?.script.value).toBe('jobs/train_big.py')
    expect(detectProject(testdir({ 'model.py': guard })).training).toBeUndefined()
  })

  it('finds a training entry point under src/, scripts/ or training/ by what it does, not only by its name', () => {
    const guard = 'if __name__ == "__main__":\n    main()\n'
    const fit = 'import argparse, pickle\ndef main():\n    p = argparse.ArgumentParser(); p.add_argument("--params")\n    pickle.dump(model, open("out/model.pkl", "wb"))\n' + guard
    for (const dir of ['src', 'scripts', 'training']) {
      const found = detectProject(testdir({ [`${dir}/build_model.py`]: fit, [`${dir}/utils.py`]: guard, [`${dir}/plot.py`]: 'import argparse\n' + guard })).training?.script
      expect(found?.value, dir).toBe(`${dir}/build_model.py`)
      expect(found?.from).toBe(`${dir}/build_model.py has an \`if __name__ == '__main__'\` block, writes a model, parses arguments, reads params`)
    }
    // Saving with numpy or torch counts as writing a model; a module without a main block never runs as one.
    expect(detectProject(testdir({ 'src/run.py': 'import numpy as np\nnp.savez("out/weights.npz", w=w)\n' + guard })).training?.script.value).toBe('src/run.py')
    expect(detectProject(testdir({ 'src/lib.py': 'torch.save(net, "model.pt")\n' })).training).toBeUndefined()
    // A server that writes nothing but is a runnable script is not training; tests never are.
    expect(detectProject(testdir({ 'serve.py': 'pickle.load(open("model.pkl"))\n' + guard, 'tests/test_fit.py': 'pickle.dump(m, f)\n' + guard })).training).toBeUndefined()
  })

  it('finds data under data/, datasets/ or input/', () => {
    expect(detectProject(testdir({ 'input/train.csv': 'a\n', 'datasets/x.csv': 'a\n', 'notes/a.txt': '' })).data).toEqual(['datasets', 'input'])
  })

  it('passes params the way the script takes them', () => {
    const mode = (source: string) => detectProject(testdir({ 'train.py': source, 'params.json': '{"lr": 0.1, "batch_size": 8}' })).training?.params?.mode
    expect(mode('parser.add_argument("--params")')).toBe('file')
    expect(mode('add_argument("--lr"); add_argument("--batch-size")')).toBe('argv')
    expect(mode('os.environ.get("MLCI_PARAM_LR")')).toBe('env')
    expect(mode('json.load(open("params.json"))')).toBe('env') // ignored by the script, still recorded
  })

  it('reads outputs from literals, joined with the output folder, else from existing files; the gate metric with its recorded value', () => {
    const source = 'OUTPUT_DIR = "artifacts"\nsave(os.path.join(OUTPUT_DIR, "model.npz"))\nwrite("reports/eval_metrics.json", {"accuracy": acc})\n'
    const outputs = detectProject(testdir({ 'train.py': source })).training!.outputs
    expect(outputs.model).toEqual({ value: 'artifacts/model.npz', from: 'train.py writes "model.npz" into its output folder (OUTPUT_DIR = "artifacts")' })
    expect(outputs.metrics?.value).toBe('reports/eval_metrics.json')
    expect(outputs.gateMetric).toEqual({ value: 'accuracy', direction: 'higher', from: 'train.py records the metric "accuracy"' })
    expect(outputs.signature).toBeUndefined()

    const existing = detectProject(testdir({ 'train.py': 'run()\n', 'out/metrics.json': '{"loss": 0.2, "roc_auc": 0.87}' })).training!.outputs
    expect(existing.metrics).toEqual({ value: 'out/metrics.json', from: 'out/metrics.json exists' })
    expect(existing.gateMetric).toEqual({ value: 'roc_auc', recorded: 0.87, direction: 'higher', from: 'out/metrics.json holds roc_auc = 0.87' })

    // No score at all (a regression model): the error metric, lower is better.
    const errors = detectProject(testdir({ 'train.py': 'run()\n', 'out/metrics.json': '{"mae": 0.13, "rmse": 0.15}' })).training!.outputs
    expect(errors.gateMetric).toEqual({ value: 'rmse', recorded: 0.15, direction: 'lower', from: 'out/metrics.json holds rmse = 0.15' })
  })

  it('finds a server with its flags, a probe CSV with its label column, and the Dockerfile port', () => {
    const d = detectProject(testdir({
      'app.py': 'PORT = int(os.environ.get("PORT", 8000))\n@app.get("/health")\n@app.post("/predict")\nparser.add_argument("--model")\n',
      'data/holdout.csv': 'a,b,target\n1,2,x\n',
      'Dockerfile': 'FROM python:3.12\nEXPOSE 9000\n',
    }))
    expect(d.server).toMatchObject({ value: 'app.py', flags: ['--model'], portEnv: true, predict: true })
    expect(d.probe).toMatchObject({ value: 'data/holdout.csv', label: 'target' })
    expect(d.dockerfile?.port).toBe(9000)
    expect(d.data).toEqual(['data'])
    expect(detectProject(testdir({ 'serve.py': 'print("no routes")\n' })).server).toBeUndefined()
  })

  it('renders a server that takes no --port with env PORT, and a label column other than "label"', () => {
    const dir = testdir({
      'train.py': 'save("model.pkl"); dump("metrics.json", {"accuracy": a})\n',
      'app.py': 'PORT = os.environ["PORT"]\nroutes = ["/health", "/predict"]\n',
      'probe.csv': 'x,target\n1,a\n',
    })
    const text = renderConfig(detectProject(dir)).text
    expect(text).toContain("command: ['python3', 'app.py'],")
    expect(text).toContain("env: { PORT: '8731' }")
    expect(text).toContain('app.py has no --model flag')
    expect(text).toContain("probe: { csv: 'probe.csv', label: 'target', value: 'error_rate' }")
  })

  it('finds an existing config the way mlci loads it', () => {
    expect(existingConfig(testdir({ 'package.json': '{"name":"x"}' }))).toBeUndefined()
    expect(existingConfig(testdir({ 'package.json': '{"name":"x","mlci":{}}' }))).toBe('package.json#mlci')
    expect(existingConfig(testdir({ '.mlcirc.yml': 'plugins: []\n' }))).toBe('.mlcirc.yml')
    expect(existingConfig(testdir({ 'sub/mlci.config.ts': '' }))).toBeUndefined()
  })
})

describe('mlci init on a repo laid out with src/, datasets/ and tests/ (numpy ridge regression)', () => {
  it('finds src/fit.py by its content and writes a config that builds through gate and version', async () => {
    const dir = copyFixture('regression')
    const init = await runCli(['init'], { cwd: dir })
    expect(init.code, init.output).toBe(0)
    expect(init.stdout).toMatch(/training\s+src\/fit\.py → trainer/)
    expect(init.stdout).toMatch(/params\s+params\.json \(passed as --params <file>\)/)
    expect(init.stdout).toMatch(/data\s+datasets\//)
    const config = readFileSync(join(dir, 'mlci.config.ts'), 'utf8')
    const active = activeLines(config)
    expect(active).toContain("command: ['python3', 'src/fit.py'],")
    expect(active).toContain("outputs: ['out/model.npz'],")
    expect(active).toContain("'datasets/**'")
    expect(active).not.toContain('local(')
    expect(config).toContain("// local({ command: ['python3', 'serve.py'") // deploy: commented, saying what is needed

    const build = await runCli(['build'], { cwd: dir })
    expect(build.code, build.output).toBe(0)
    expect(build.output).toMatch(/\[test\] ✓ @mlci\/plugin-pytest/)
    expect(build.output).toMatch(/rmse=[\d.]+/)
    expect(build.output).toMatch(/\[gate\] ✓/)
    expect(build.output).toMatch(/Recorded 0\.1\.0\+data\.[0-9a-f]+/)
    const versions = await runCli(['versions'], { cwd: dir })
    expect(versions.output).toContain('0.1.0')
    // Unchanged repo: the next build is cached through training and changes nothing.
    const again = await runCli(['build'], { cwd: dir })
    expect(again.code, again.output).toBe(0)
    expect(again.output).toMatch(/\[train\] .*cached|↺ train|train.*cached/)
  })
})

describe('mlci init on a model that records only errors (rmse, mae)', () => {
  it('gates on rmse, lower is better, 5 % worse than live at most; a worse model is vetoed', async () => {
    const train = [
      'import json, os',
      'noise = float(os.environ.get("MLCI_PARAM_NOISE", "0.1"))',
      'os.makedirs("out", exist_ok=True)',
      'json.dump({"w": 1.0}, open("out/model.json", "w"))',
      'json.dump({"rmse": 0.15 + noise, "mae": 0.1 + noise}, open("out/metrics.json", "w"))',
      '',
    ].join('\n')
    const dir = testdir({ 'train.py': train, 'params.json': '{"noise": 0.1}', 'out/metrics.json': '{"rmse": 0.25, "mae": 0.2}' })
    const init = await runCli(['init'], { cwd: dir })
    expect(init.code, init.output).toBe(0)
    const active = activeLines(readFileSync(join(dir, 'mlci.config.ts'), 'utf8'))
    expect(active).toContain('rmse: {')
    expect(active).toContain("maxDrop: '5%',")
    expect(readFileSync(join(dir, 'mlci.config.ts'), 'utf8')).toContain('// max: 0.3, // an absolute ceiling: the highest rmse you would ship')

    const first = await runCli(['build'], { cwd: dir })
    expect(first.code, first.output).toBe(0)
    expect(first.output).toMatch(/rmse 0\.25 — worse by ≤ 5 % vs live \(lower is better\): pass/)
    // rmse 0.25 → 0.45: 80 % worse than live, the gate vetoes (exit 3).
    const worse = await runCli(['build'], { cwd: dir, env: { MLCI_PARAM_NOISE: '0.3' } })
    expect(worse.code, worse.output).toBe(3)
    expect(worse.output).toContain('[evaluate @mlci/plugin-trainer] rmse=0.45 mae=0.4') // not 0.44999999999999996
    expect(worse.output).toMatch(/rmse 0\.45 \(live 0\.25\) — worse by ≤ 5 % vs live \(lower is better\): FAIL \(rose 0\.25 → 0\.45/)
  })
})

describe('mlci init tells how to install what its config imports', () => {
  it('names the sibling tarballs when mlci was installed from tarballs, and nothing for packages already listed', async () => {
    const dir = copyFixture('classifier')
    rmSync(join(dir, 'mlci.config.ts'))
    const tarballs = testdir(Object.fromEntries(['cli', 'core', 'plugin-pytest', 'plugin-trainer', 'plugin-semver', 'plugin-local', 'plugin-monitor', 'plugin-rollback', 'plugin-docker']
      .map((n) => [`mlci-${n}-0.1.0.tgz`, ''])))
    const rel = relative(dir, tarballs)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ devDependencies: { '@mlci/cli': `file:${rel}/mlci-cli-0.1.0.tgz`, '@mlci/core': `file:${rel}/mlci-core-0.1.0.tgz`, '@mlci/plugin-pytest': `file:${rel}/mlci-plugin-pytest-0.1.0.tgz` } }))
    const init = await runCli(['init'], { cwd: dir })
    expect(init.code, init.output).toBe(0)
    const installs = init.stdout.split('\n').filter((l) => l.includes('npm install'))
    expect(installs).toEqual([`  npm install --save-dev ${['trainer', 'semver', 'local', 'monitor', 'rollback'].map((p) => join(rel, `mlci-plugin-${p}-0.1.0.tgz`)).join(' ')}`])
  })

  it('without tarballs: the registry names, and how to get tarballs until mlci is published', async () => {
    const dir = testdir({ 'train.py': TRAIN_MODEL, 'package.json': JSON.stringify({ devDependencies: { '@mlci/cli': '^0.1.0' } }) })
    const init = await runCli(['init'], { cwd: dir })
    expect(init.code, init.output).toBe(0)
    expect(init.stdout).toContain('  npm install --save-dev @mlci/core @mlci/plugin-trainer')
    expect(init.stdout).toContain('npm run tarballs -- <dir>')
  })
})
