import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { testdir } from '../helpers/testdir.js'

const SECRET = 'Sekr3t-VALUE-42x'
const HEX = Buffer.from(SECRET).toString('hex')
const ESCAPED = [...SECRET].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')

// Records a version whose metric name and param carry the env secret, and prints the secret
// hex-encoded and \u-escaped (as a debug dump or a JSON encoder might).
const LEAKY = `
import { definePlugin } from '@mlci/core'
export default definePlugin(() => ({ name: 'leaky', apply(mlci) {
  mlci.hooks.version.tapPromise('leaky', async (proposal, ctx) => {
    const s = ctx.env.SERVICE_TOKEN
    ctx.log.info('hex ' + Buffer.from(s).toString('hex'))
    ctx.log.info('json ' + [...s].map((c) => '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).join(''))
    ctx.data.metrics = { ['acc_' + s]: 0.9 }
    await ctx.registry.create({ version: '1.0.0', runId: ctx.runId, fingerprint: 'fp', artifacts: [], params: { endpoint: 'https://x/?t=' + s }, metrics: { ['acc_' + s]: 0.9 } })
    return { version: '1.0.0', bump: 'major', reason: 'test' }
  })
} }))
`

function grepFiles(dir: string, text: string): string[] {
  try {
    return execFileSync('grep', ['-rliF', text, dir], { encoding: 'utf8' }).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

describe('secrets are never stored or printed', () => {
  it('a secret in a metric name and a param (registry), hex- and \\u-encoded in a log, lower-cased in the HTML report: masked everywhere, and `mlci show`/`mlci diff` print none', async () => {
    const dir = testdir({ 'leaky.mjs': LEAKY, 'mlci.config.mjs': `import leaky from './leaky.mjs'\nexport default { plugins: [leaky()] }` })
    const env = { SERVICE_TOKEN: SECRET }
    const build = await runCli(['build'], { cwd: dir, env })
    expect(build.code, build.output).toBe(0)
    const show = await runCli(['show', '1.0.0', '--json'], { cwd: dir, env })
    expect(show.code, show.output).toBe(0)
    expect(JSON.parse(show.stdout).params.endpoint).toBe('https://x/?t=[redacted]')
    const diff = await runCli(['diff', '1.0.0', '1.0.0'], { cwd: dir, env })
    for (const output of [build.output, show.output, diff.output]) {
      for (const form of [SECRET, HEX, ESCAPED]) expect(output.toLowerCase()).not.toContain(form.toLowerCase())
    }
    // On disk: registry, run records, logs and the HTML report (case-insensitive: ids are lower-cased).
    for (const form of [SECRET, HEX, ESCAPED]) expect(grepFiles(join(dir, '.mlci'), form)).toEqual([])
  })
})
