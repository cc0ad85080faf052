import { spawn, type ChildProcess } from 'node:child_process'
import { CLI } from './testdir.js'

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout + stderr interleaved as received. */
  output: string
  durationMs: number
}

export interface CliOptions {
  cwd: string
  env?: Record<string, string | undefined>
  timeoutMs?: number
  /** Called with the child right after spawn (to send signals). */
  onSpawn?: (child: ChildProcess) => void
}

/** Run the built `mlci` CLI as a user would (non-TTY, so the plain renderer). */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', ...options.env }
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let output = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d; output += d })
    child.stderr.on('data', (d: Buffer) => { stderr += d; output += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    options.onSpawn?.(child)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, output, durationMs: Date.now() - started })
    })
  })
}
