import { execFile } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { firstPartyPlugins, generateOptionsDoc } from '../scripts/options-doc.mjs'
import { REPO, testdir } from './helpers/testdir.js'

const run = promisify(execFile)

describe('docs/options.md: every first-party plugin option, generated from the shapes that validate them', () => {
  it('is up to date and documents every option (npm run docs:options --check)', async () => {
    const r = await run(process.execPath, [join(REPO, 'scripts/options-doc.mjs'), '--check'], { cwd: REPO }).then(
      (ok) => ({ code: 0, out: ok.stdout + ok.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    )
    expect(r.code, r.out).toBe(0)
  })

  it('has a section per plugin and rows at every nesting level', () => {
    // The check above proved the file is what the generator makes from the shapes; here, what it says.
    const doc = readFileSync(join(REPO, 'docs/options.md'), 'utf8')
    expect(firstPartyPlugins().map((p: { name: string }) => p.name)).toHaveLength(8)
    for (const name of ['@mlci/plugin-trainer', '@mlci/plugin-pytest', '@mlci/plugin-semver', '@mlci/plugin-local', '@mlci/plugin-docker', '@mlci/plugin-monitor', '@mlci/plugin-rollback', '@mlci/plugin-report']) {
      expect(doc).toContain(`## ${name}`)
    }
    // Spot checks across nesting levels: top level, nested object, array elements.
    expect(doc).toMatch(/^\| `paramsMode` \| `"argv"` \\\| `"env"` \\\| `"file"` \|/m)
    expect(doc).toMatch(/^\| `health\.timeoutMs` \| an integer ≥ 1 \| `30000` \|/m)
    expect(doc).toMatch(/^\| `metrics\[\]\.probe\.rowFormat` \|/m)
    expect(doc).toMatch(/^\| `command` \(required\) \| string\[\] \|/m)
  })

  it('reports an option whose options type has no doc comment, and one the type does not declare', async () => {
    // A copy of the rollback plugin whose shape gains an option nobody documented.
    const dir = testdir()
    cpSync(join(REPO, 'plugins/rollback'), dir, { recursive: true, filter: (src) => !src.includes('node_modules') })
    const bundle = join(dir, 'dist/bundle/index.js')
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('{ recover: "boolean" }', '{ recover: "boolean", retries: "integer" }'))
    const source = join(dir, 'src/index.ts')
    writeFileSync(source, readFileSync(source, 'utf8').replace(/\/\*\* Recover an interrupted release[^*]*\*\/\n/, ''))
    const { undocumented } = await generateOptionsDoc([{ dir, name: '@mlci/plugin-rollback' }])
    expect(undocumented).toEqual(['@mlci/plugin-rollback: recover', '@mlci/plugin-rollback: retries'])
  })
})
