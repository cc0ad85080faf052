import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ErrorCode, MlciError, type PhaseContext, type TestSummary } from '@mlci/core'
import { parseJunit } from './junit.js'
import { LiveCounts } from './live-counts.js'
import type { PytestOptions } from './options.js'

// pytest's exit codes (pytest.ExitCode).
const OK = 0
const TESTS_FAILED = 1
const NO_TESTS = 5

export function pytestArgv(executable: string, junitFile: string, options: PytestOptions): string[] {
  return [
    executable, '-m', 'pytest',
    // -v prints one line per test, which the live counts parse; xunit1 keeps the file in the report.
    '-v', '-p', 'no:cacheprovider', `--junitxml=${junitFile}`, '-o', 'junit_family=xunit1',
    ...(options.markers ? ['-m', options.markers] : []),
    ...(options.keywords ? ['-k', options.keywords] : []),
    ...(options.args ?? []),
  ]
}

/** Run pytest, show live counts, publish `ctx.data.tests`; throw when tests failed or none ran. */
export async function runPytest(ctx: PhaseContext, executable: string, options: PytestOptions): Promise<TestSummary> {
  const cwd = resolve(ctx.cwd, options.cwd ?? '.')
  const dir = await mkdtemp(join(tmpdir(), 'mlci-pytest-'))
  const junitFile = join(dir, 'junit.xml')
  const live = new LiveCounts()
  try {
    const result = await ctx.exec(pytestArgv(executable, junitFile, options), {
      cwd,
      env: {
        // Autoloaded plugins (hypothesis, benchmark, …) cost ~0.8 s per run here.
        ...(options.disablePluginAutoload === false ? {} : { PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' }),
        // Keep __pycache__ out of the project tree (it is the test phase's input).
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        ...options.env,
      },
      timeoutMs: options.timeout,
      reject: false,
      onLine: (line) => {
        if (!live.feed(line)) return
        ctx.log.status(live.text())
        if (live.fraction !== undefined) ctx.log.progress(live.fraction, live.text())
      },
    })
    const code = result.exitCode
    if (code === NO_TESTS) {
      const empty: TestSummary = { passed: 0, failed: 0, skipped: 0, errors: 0, total: 0, durationMs: result.durationMs, failures: [] }
      ctx.data.tests = empty
      if (options.allowNoTests) {
        ctx.log.warn(`pytest collected no tests in ${cwd} (allowed by allowNoTests).`)
        return empty
      }
      throw new MlciError(ErrorCode.NO_TESTS, `pytest collected no tests in ${cwd}.`, {
        hint: 'Add test files (tests/test_*.py), check testpaths/-k/-m, or set pytest({ allowNoTests: true }).',
        details: tail(result.stdout),
      })
    }
    const xml = await readFile(junitFile, 'utf8').catch(() => undefined)
    if (xml === undefined || (code !== OK && code !== TESTS_FAILED && !/<(failure|error)\b/.test(xml))) {
      throw new MlciError(ErrorCode.EXEC_FAILED, `pytest exited with ${code === null ? `signal ${result.signal}` : `code ${code}`}${xml === undefined ? ' and wrote no report' : ''}.`, {
        details: tail(result.stderr || result.stdout), hint: 'See the pytest output above (or run with --verbose).',
      })
    }
    const summary = parseReport(xml, junitFile, cwd)
    ctx.data.tests = summary
    ctx.log.status(describe(summary))
    if (summary.failures.length || code !== OK) throw testsFailed(summary, code)
    return summary
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function parseReport(xml: string, file: string, cwd: string): TestSummary {
  try {
    return parseJunit(xml, { exists: (rel) => existsSync(join(cwd, rel)) })
  } catch (error) {
    throw new MlciError(ErrorCode.EXEC_FAILED, `Could not read pytest's JUnit report ${file}: ${(error as Error).message}`, {
      hint: 'Another plugin or an addopts setting may be rewriting --junitxml; check pytest.ini/pyproject.toml.',
    })
  }
}

function testsFailed(summary: TestSummary, code: number | null): MlciError {
  const ids = summary.failures.map((f) => f.id)
  const bad = summary.failed + summary.errors
  const headline = ids.length
    ? `${bad} of ${summary.total} test${summary.total === 1 ? '' : 's'} failed: ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? `, … (${ids.length - 3} more)` : ''}`
    : `pytest exited with code ${code} although no test failed`
  return new MlciError(ErrorCode.TESTS_FAILED, headline, {
    details: summary.failures.map((f) => `- ${f.id}: ${f.message}`).join('\n') || undefined,
    hint: ids.length ? `Reproduce with: python -m pytest ${ids[0].includes(' ') ? JSON.stringify(ids[0]) : ids[0]}` : 'See the pytest output (run with --verbose).',
  })
}

export function describe(summary: TestSummary): string {
  const parts = [`${summary.passed} passed`]
  if (summary.failed) parts.push(`${summary.failed} failed`)
  if (summary.skipped) parts.push(`${summary.skipped} skipped`)
  if (summary.errors) parts.push(`${summary.errors} error${summary.errors === 1 ? '' : 's'}`)
  return `${parts.join(' · ')} in ${(summary.durationMs / 1000).toFixed(2)} s`
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}
