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
  it('shows a plot per metric (live and rollback marked) and the monitor samples, offline, without console errors', async () => {
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

      // One chart per metric, each with one series through the 4 recorded versions (veto not recorded).
      for (const name of ['accuracy', 'f1', 'latency_ms']) {
        const chart = page.locator(`svg[data-chart="metric"][data-metric="${name}"]`)
        await expect(chart.count()).resolves.toBe(1)
        await expect(chart.locator(`path.series[data-series="${name}"]`).count()).resolves.toBe(1)
        const d = await chart.locator('path.series').getAttribute('d')
        expect(d!.match(/[ML]/g)).toHaveLength(4)
        await expect(chart.locator('circle.point').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')))).resolves.toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0'])
        await expect(chart.locator('circle.marker-live').getAttribute('data-label')).resolves.toBe('1.3.0')
        await expect(chart.locator('circle.marker-failed').getAttribute('data-label')).resolves.toBe('1.2.0')
        await expect(chart.locator('g.event.rollback text').textContent()).resolves.toBe('rolled back → 1.1.0')
        const box = await chart.boundingBox()
        expect(box!.width).toBeGreaterThan(300)
        expect(box!.height).toBeGreaterThan(100)
      }
      // The monitor's samples of this run (1.3.0, 4 samples) as series over time.
      const monitor = await page.locator('svg[data-chart="monitor"] path.series').evaluateAll((els) => els.map((e) => e.getAttribute('data-series')))
      expect(monitor).toEqual(['error_rate', 'latency_ms'])
      await expect(page.locator('svg[data-chart="monitor"]').first().locator('circle.point').count()).resolves.toBe(4)
      // Same content as markdown: the tables are there.
      await expect(page.locator('h2').allTextContents()).resolves.toEqual(expect.arrayContaining(['Phases', 'Tests', 'Version', 'Versions', 'Metrics across versions', 'Monitor samples']))

      expect(problems).toEqual([])
      expect(requests).toEqual([pathToFileURL(file).href]) // the file itself, nothing else
      await page.screenshot({ path: join(OUT, 'report-e2e.png'), fullPage: true })
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
