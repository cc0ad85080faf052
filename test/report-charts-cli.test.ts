import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { lastRecord, pipelineProject } from './report-helpers.js'

/** The next double above x: a series whose values are one floating-point step apart. */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  view.setBigUint64(0, view.getBigUint64(0) + 1n)
  return view.getFloat64(0)
}

describe('HTML report charts through the real CLI', () => {
  it('a near-constant metric series (values one ulp apart) renders fast and every later build finishes', { timeout: 240_000 }, async () => {
    const dir = pipelineProject()
    const a = 0.9798
    const results = []
    for (const value of [a, nextUp(a), nextUp(nextUp(a))]) {
      // Before the charting library, the tick loop never ended on the second build and the
      // process grew until V8 aborted; the kill after 60 s turns that into a failure, not a hang.
      results.push(await runBuild(dir, { accuracy: value, r2: value }))
    }
    for (const r of results) expect(r.code, r.output).toBe(0)
    expect(results.map((r) => r.output).join('\n')).not.toMatch(/Could not write|charts? (could not|were not)/i)
    const record = lastRecord(dir)
    const html = readFileSync(record.files.report, 'utf8')
    expect(html).toContain('data-metric="accuracy"')
    // Three versions, labelled by their semver on the x axis.
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) expect(html).toContain(`>${v}</text>`)
    const report = await runCli(['report', '--format', 'html', '--out', join(dir, 'r.html')], { cwd: dir, timeoutMs: 30_000 })
    expect(report.code, report.output).toBe(0)
    expect(report.durationMs).toBeLessThan(10_000)
  })

  it('a chart that cannot be rendered in time is a warning: the build passes and the report says charts are missing', async () => {
    const dir = pipelineProject({ report: { chartTimeout: 1 } })
    const r = await runBuild(dir, { accuracy: 0.9 })
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/charts were not rendered: .*1 ms/i)
    const html = readFileSync(lastRecord(dir).files.report, 'utf8')
    expect(html).toContain('class="chart-missing"')
    expect(html).not.toContain('<svg')
  })
})

describe('drawn charts are reused', () => {
  it('a build whose history did not change reads its charts back instead of drawing them again', { timeout: 180_000 }, async () => {
    const dir = pipelineProject()
    expect((await runBuild(dir, { accuracy: 0.9, f1: 0.8 })).code).toBe(0)
    const cache = join(dir, '.mlci', 'report-charts')
    expect(readdirSync(cache).filter((f) => f.endsWith('.svg'))).toHaveLength(4) // accuracy, f1, two monitor series
    // With no time to draw anything, only charts read back can appear in the report.
    const config = join(dir, 'mlci.config.mjs')
    writeFileSync(config, readFileSync(config, 'utf8').replace('plugins: [pipeline()],', 'plugins: [pipeline()], report: { chartTimeout: 1 },'))
    const again = await runBuild(dir, { accuracy: 0.9, f1: 0.8 })
    expect(again.code, again.output).toBe(0)
    expect(again.output).not.toMatch(/charts were not rendered/)
    const html = readFileSync(lastRecord(dir).files.report, 'utf8')
    expect(html.match(/<svg class="chart"/g)).toHaveLength(4)
  })
})

/** One `mlci build` with these metrics, killed after 60 s (a hang fails instead of stalling the suite). */
function runBuild(dir: string, metrics: Record<string, number>) {
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify(metrics))
  return runCli(['build'], { cwd: dir, timeoutMs: 60_000 })
}
