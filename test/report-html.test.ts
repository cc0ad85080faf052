import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { describeWith, type Requirement } from './helpers/requirements.js'
import { REPO } from './helpers/testdir.js'
import { build, pipelineProject } from './report-helpers.js'

// Debian's chromium (installed by .ci/services.sh). Missing, the test fails saying so.
const CHROMIUM = process.env.MLCI_CHROMIUM ?? '/usr/bin/chromium'
const BROWSER: Requirement = {
  name: 'Chromium',
  missing: () => (existsSync(CHROMIUM) ? undefined : `${CHROMIUM} does not exist`),
  howTo: 'Run `apt-get install -y chromium` (`bash .ci/services.sh` does), or set MLCI_CHROMIUM.',
}
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']
const OUT = join(REPO, '.tmp')

describeWith(BROWSER, 'HTML report in headless Chromium', () => {
  it('shows a plot per metric (live and rollback marked) and the monitor samples, offline, without console errors', { timeout: 180_000 }, async () => {
    const dir = pipelineProject()
    const metrics = [
      { accuracy: 0.91, f1: 0.88, latency_ms: 41 },
      { accuracy: 0.93, f1: 0.9, latency_ms: 39 },
      { accuracy: 0.94, f1: 0.91, latency_ms: 44 }, // rolled back by the monitor
      { accuracy: 0.85, f1: 0.8, latency_ms: 40 }, // vetoed: never recorded
      { accuracy: 0.95, f1: 0.92, latency_ms: 38 },
    ]
    const codes = []
    for (const [i, m] of metrics.entries()) codes.push((await build(dir, m, { errorRates: i === 2 ? [0.01, 0.2, 0.3] : [0.01, 0.03, 0.02, 0.01] })).code)
    expect(codes).toEqual([0, 0, 1, 3, 0])
    mkdirSync(OUT, { recursive: true })
    const file = join(OUT, 'report-e2e.html')
    const r = await runCli(['report', '--format', 'html', '--out', file], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(readFileSync(file, 'utf8')).toContain('<!doctype html>')

    const profile = mkdtempSync(join(tmpdir(), 'mlci-chromium-'))
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1100, height: 900 } })
    try {
      const page = await context.newPage()
      const problems: string[] = []
      const requests: string[] = []
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`) })
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
      page.on('request', (req) => requests.push(req.url()))
      await context.route('**/*', (route) => (route.request().url() === pathToFileURL(file).href ? route.continue() : route.abort()))
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })

      // One chart per metric (ECharts' SVG), each with the 4 recorded versions (veto not recorded).
      for (const name of ['accuracy', 'f1', 'latency_ms']) {
        const chart = page.locator(`svg.chart[data-chart="metric"][data-metric="${name}"]`)
        await expect(chart.count()).resolves.toBe(1)
        await expect(chart.locator(`[data-series="${name}"][data-point]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-point')))).resolves.toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0'])
        await expect(chart.locator('[data-marker="live"]').getAttribute('data-point')).resolves.toBe('1.3.0')
        await expect(chart.locator('[data-marker="failed"]').getAttribute('data-point')).resolves.toBe('1.2.0')
        // The x axis names every version by its semver, each label drawn once and inside the chart.
        const labels = await chart.locator('text').evaluateAll((els) => els.map((e) => e.textContent))
        for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) expect(labels.filter((l) => l === v)).toHaveLength(1)
        // Rollback: a marker on the chart, spelled out in the caption; the tooltip says the same.
        await expect(chart.locator('[data-event="↩1"] > title').textContent()).resolves.toBe('↩1 1.2.0 rolled back → 1.1.0')
        await expect(chart.locator('xpath=..').locator('ul.chart-events li').allTextContents()).resolves.toEqual(['↩1 1.2.0 rolled back → 1.1.0'])
        // A point's tooltip (SVG <title>): version and value.
        await expect(chart.locator('[data-marker="live"] > title').textContent()).resolves.toMatch(new RegExp(`^1\\.3\\.0 \\(live\\): ${name} = `))
        const box = await chart.boundingBox()
        expect(box!.width).toBeGreaterThan(300)
        expect(box!.height).toBeGreaterThan(100)
        // Distinct y tick labels.
        const ticks = await chart.locator('text[text-anchor="end"]').evaluateAll((els) => els.filter((e) => !e.getAttribute('transform')?.startsWith('matrix')).map((e) => e.textContent))
        expect(new Set(ticks).size).toBe(ticks.length)
      }
      // The monitor's samples of this run (1.3.0, 4 samples) as series over time.
      const monitor = await page.locator('svg.chart[data-chart="monitor"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')))
      expect(monitor).toEqual(['http-probe · error_rate (1.3.0, success)', 'http-probe · latency_ms (1.3.0, success)'])
      await expect(page.locator('svg.chart[data-chart="monitor"]').first().locator('[data-point]').count()).resolves.toBe(4)
      // Same content as markdown: the tables are there.
      await expect(page.locator('h2').allTextContents()).resolves.toEqual(expect.arrayContaining(['Phases', 'Tests', 'Version', 'Versions', 'Metrics across versions', 'Monitor samples']))

      expect(problems).toEqual([])
      expect(requests).toEqual([pathToFileURL(file).href]) // the file itself, nothing else
      await page.screenshot({ path: join(OUT, 'report-e2e.png'), fullPage: true })
      await page.locator('svg.chart[data-metric="accuracy"]').screenshot({ path: join(OUT, 'report-e2e-accuracy.png') })
      // Printable: print media renders to a PDF with every chart.
      await page.emulateMedia({ media: 'print' })
      const pdf = await page.pdf({ path: join(OUT, 'report-e2e.pdf'), format: 'A4', printBackground: false })
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    } finally {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  })
})
