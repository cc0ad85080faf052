import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { CLI, testdir } from '../helpers/testdir.js'
import { lastRecord } from '../faults/records.js'
import { NOTIFIER } from './plugin.js'

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => spawnSync(p, ['--version']).status === 0)

function project(plugins: string): string {
  return testdir({
    'plugins.mjs': NOTIFIER,
    'data.txt': 'a\nb\nc\n',
    'mlci.config.mjs': `import { work, dataCheck } from './plugins.mjs'\nexport default { plugins: [${plugins}], report: { formats: ['md', 'html'] } }\n`,
  })
}

/** Run the CLI on a real pty (util-linux `script`), so it draws with the interactive renderer. */
function runOnTerminal(dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCRIPT!, ['-qfec', `stty cols 120 rows 40; exec ${process.execPath} ${CLI} build`, '/dev/null'], {
      cwd: dir, env: { ...process.env, CI: undefined, NO_COLOR: '1', TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

describe('report sections contributed by a third-party plugin', () => {
  it('show in `mlci build` output (plain), the run record, the markdown and the HTML report (escaped), and `mlci report`', async () => {
    const dir = project('work(), dataCheck()')
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toMatch(/\nData quality \(data-check\)\n {2}Checked data\.txt <script>alert\(1\)<\/script> for empty rows\.\n {2}• no empty rows\n {2}• status ok\n {2}file {6}rows {2}ok\n {2}data\.txt {2}3 {5}true\n/)
    const record = lastRecord(dir)
    expect(record.sections).toEqual([expect.objectContaining({ title: 'Data quality', plugin: 'data-check' })])
    const html = readFileSync(record.files.report, 'utf8')
    expect(html).toMatch(/<h2 id="plugin-section-1">Data quality<span class="tone-muted"> \(data-check\)<\/span><\/h2>/)
    expect(html).toContain('<p>Checked data.txt &lt;script&gt;alert(1)&lt;/script&gt; for empty rows.</p>')
    expect(html).toContain('<li>no empty rows</li>')
    expect(html).toMatch(/<th>rows<\/th>.*<td>data\.txt<\/td><td>3<\/td><td>true<\/td>/s)
    expect(html).not.toContain('<script>')
    const markdown = readFileSync(record.files.markdown, 'utf8')
    expect(markdown).toContain('### Data quality (data-check)')
    expect(markdown).toContain('| data.txt | 3 | true |')
    const again = await runCli(['report'], { cwd: dir })
    expect(again.stdout).toContain('### Data quality (data-check)')
  })

  it('show on a terminal (interactive renderer) too', async () => {
    expect(SCRIPT, 'util-linux `script` gives the CLI a pty: apt-get install -y bsdutils').toBeDefined()
    const dir = project('work(), dataCheck()')
    const r = await runOnTerminal(dir)
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/✔ build ok/)
    expect(r.output).toMatch(/Data quality \(data-check\)\r?\n {2}Checked data\.txt/)
    expect(r.output).toMatch(/data\.txt {2}3 {5}true/)
  })

  it('a sections tap that returns something else is named as the culprit; the build stays ok and the report is written without it', async () => {
    const dir = project('work(), dataCheck({ bad: true })')
    const r = await runCli(['build'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/sections hook of data-check failed.*The sections tap of data-check returned something that is not a list of sections/)
    const record = lastRecord(dir)
    expect(record.sections).toBeUndefined()
    expect(record.hookErrors).toEqual([expect.objectContaining({ code: 'MLCI_TAP_RESULT_INVALID', plugin: 'data-check' })])
    expect(readFileSync(join(record.files.report), 'utf8')).not.toContain('Data quality')
  })
})
