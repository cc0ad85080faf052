import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { CLI, testdir } from './helpers/testdir.js'
import { build, pipelineProject } from './report-helpers.js'

describe('CLI paper cuts a new user met', () => {
  it('accepts global flags before the command (mlci -c file build, mlci --cwd dir -v versions)', async () => {
    const dir = pipelineProject()
    const elsewhere = testdir()
    const r = await runCli(['--cwd', dir, '-v', 'versions'], { cwd: elsewhere })
    expect(r.code, r.output).toBe(0)
    expect(r.output).not.toContain('Unknown command')
    const c = await runCli(['-c', join(dir, 'mlci.config.mjs'), 'build'], { cwd: elsewhere })
    expect(c.code, c.output).toBe(0)
    expect(c.output).toMatch(/✔ build ok · version 1\.0\.0/)
    const record = JSON.parse(readFileSync(join(dir, '.mlci/runs', readdirSync(join(dir, '.mlci/runs')).find((f) => f.endsWith('.json'))!), 'utf8'))
    expect(record.command).toBe(`mlci build -c ${join(dir, 'mlci.config.mjs')}`)
    // A global flag alone is still a usage error with the main help.
    const alone = await runCli(['-v'], { cwd: dir })
    expect(alone.code).toBe(2)
    expect(alone.stdout).toContain('Usage: mlci [global options] <command> [options]')
  })

  it("init --help describes init's --force; build --help shows --channel and --wait-for-lock in its usage", async () => {
    const dir = testdir()
    const init = await runCli(['init', '--help'], { cwd: dir })
    expect(init.stdout).toMatch(/--force\s+Replace an existing config/)
    expect(init.stdout).not.toContain('Ignore the cache')
    const b = await runCli(['build', '--help'], { cwd: dir })
    const usage = b.stdout.split('\n').find((l) => l.startsWith('Usage:'))!
    expect(usage).toContain('--channel name')
    expect(usage).toContain('--wait-for-lock')
    expect(b.stdout).toMatch(/--force \[phases\]\s+Ignore the cache/)
  })

  it('mlci report takes a version without its build metadata, v-prefixed, or an alias, as rollback --to does', async () => {
    const dir = pipelineProject()
    const file = join(dir, 'pipeline.mjs')
    writeFileSync(file, readFileSync(file, 'utf8').replace("const version = major + '.' + (minor + 1) + '.0'", "const version = major + '.' + (minor + 1) + '.0+data.abc1234'"))
    expect((await build(dir, { accuracy: 0.9 })).code).toBe(0)
    expect((await build(dir, { accuracy: 0.91 })).code).toBe(0)
    for (const ref of ['1.0.0', 'v1.0.0', '1.0.0+data.abc1234']) {
      const r = await runCli(['report', ref], { cwd: dir })
      expect(r.code, `${ref}: ${r.output}`).toBe(0)
      expect(r.stdout).toContain('version 1.0.0+data.abc1234')
    }
    const live = await runCli(['report', 'live', '--format', 'json'], { cwd: dir })
    expect(JSON.parse(live.stdout).version).toBe('1.1.0+data.abc1234')
    const since = await runCli(['report', '--since', '1.0.0', '--format', 'json'], { cwd: dir })
    expect(since.code, since.output).toBe(0)
    expect(JSON.parse(since.stdout)).toHaveLength(2)
  })

  it('-v and --explain print each line of a training script once (its status repeated every line)', async () => {
    const dir = testdir({
      'train.py': 'import json, os\nos.makedirs("out", exist_ok=True)\nfor i in range(3):\n    print(f"epoch {i} loss={1 / (i + 1):.3f}", flush=True)\nopen("out/model.txt", "w").write("m")\njson.dump({"loss": 0.33}, open("out/metrics.json", "w"))\n',
      'mlci.config.mjs': "import trainer from '@mlci/plugin-trainer'\nexport default { plugins: [trainer({ command: ['python3', 'train.py'], outputs: ['out/model.txt'], metrics: 'out/metrics.json' })] }\n",
    })
    for (const flag of ['-v', '--explain']) {
      const r = await runCli(['build', flag, '--force'], { cwd: dir })
      expect(r.code, r.output).toBe(0)
      for (let i = 0; i < 3; i++) {
        const lines = r.stdout.split('\n').filter((l) => l.includes(`epoch ${i} loss=`))
        expect(lines, `${flag}: epoch ${i}\n${r.stdout}`).toHaveLength(1)
      }
    }
  })

  it('the terminal (listr2) view marks a vetoed gate ✖ with the reason, not ✔', async () => {
    const dir = pipelineProject()
    expect((await build(dir, { accuracy: 0.9 })).code).toBe(0)
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ accuracy: 0.5 }))
    // A real pseudo-terminal (util-linux `script`) with a size, so mlci picks the listr2 renderer.
    const tty = await inPty(`stty cols 120 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} build`, dir)
    expect(tty.code, tty.stdout).toBe(3)
    const text = tty.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
    const frame = text.slice(text.lastIndexOf('test'))
    const lines = frame.split('\n').map((l) => l.trim())
    const gate = lines.findIndex((l) => /^\S+ gate\b/.test(l))
    expect(gate, frame).toBeGreaterThan(-1)
    expect(lines[gate + 1], frame).toBe('✖ pipeline')
    expect(lines[gate + 2], frame).toContain('Vetoed: accuracy dropped below live')
  })

  it('a build started in a subfolder says first which project it builds (the config found above); not in the project folder, not with --json', async () => {
    const dir = testdir({
      'mlci.config.mjs': "export default { plugins: [{ name: 'say', apply(mlci) { mlci.hooks.verify.tapPromise('say', async () => {}) } }] }\n",
      'notebooks/keep.txt': '',
    })
    const sub = await runCli(['build'], { cwd: join(dir, 'notebooks') })
    expect(sub.code, sub.output).toBe(0)
    expect(sub.stdout.split('\n')[0]).toBe('project: ../mlci.config.mjs (the nearest config above this folder)')
    const here = await runCli(['build'], { cwd: dir })
    expect(here.code, here.output).toBe(0)
    expect(here.stdout).not.toContain('project:')
    const json = await runCli(['build', '--json'], { cwd: join(dir, 'notebooks') })
    expect(json.code, json.output).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ok' })
  })

  it('`mlci build | head` closing the pipe early drops the rest of the output, not the run: it finishes with its own status', async () => {
    const dir = testdir({
      // Verify prints a line, waits for the end of its stdin (the test ends it once it has closed
      // the pipe) and records that it got there; mlci's own output after it meets EPIPE.
      'mlci.config.mjs': `import { writeFileSync } from 'node:fs'
export default { plugins: [{ name: 'chatty', apply(mlci) {
  mlci.hooks.verify.tapPromise('chatty', async () => {
    const closed = new Promise((resolve) => process.stdin.once('end', resolve).resume())
    console.log('first line')
    await closed
    writeFileSync('finished.txt', 'yes')
  })
} }] }
`,
    })
    const child = spawn(process.execPath, [CLI, 'build'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
      if (!stdout.includes('first line')) return
      child.stdout.destroy() // as `head` does: the read end of the pipe is closed
      child.stdin.end()
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(stderr).not.toMatch(/EPIPE|Unhandled/)
    expect(code, stderr).toBe(0)
    expect(readFileSync(join(dir, 'finished.txt'), 'utf8')).toBe('yes')
    // The run ended properly: its lock is released and its record says ok.
    expect(readdirSync(join(dir, '.mlci'))).not.toContain('lock')
    const records = readdirSync(join(dir, '.mlci', 'runs')).filter((f) => f.endsWith('.json'))
    expect(JSON.parse(readFileSync(join(dir, '.mlci', 'runs', records[0]), 'utf8'))).toMatchObject({ status: 'ok' })
  })
})

/** Run a shell command under a real pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function inPty(command: string, cwd: string): Promise<{ code: number | null; stdout: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', NO_COLOR: '1' }
  delete env.CI
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d })
    child.stderr.on('data', (d: Buffer) => { stdout += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout }) })
  })
}
