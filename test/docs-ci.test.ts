import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'
import { REPO, testdir } from './helpers/testdir.js'

type Parser = typeof import('@actions/workflow-parser')

/**
 * GitHub's workflow parser imports its JSON schema without an import attribute, which Node's
 * ESM loader refuses (it expects a bundler): bundle it once with esbuild, then import that.
 */
async function loadParser(): Promise<Parser> {
  const out = join(REPO, '.tmp', 'workflow-parser.bundle.mjs')
  mkdirSync(join(REPO, '.tmp'), { recursive: true })
  await build({ entryPoints: ['@actions/workflow-parser'], absWorkingDir: REPO, bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'error' })
  return import(pathToFileURL(out).href) as Promise<Parser>
}

// The workflow in docs/ci.md, checked by GitHub's own workflow parser (schema, expressions).
describe('docs/ci.md', () => {
  it('holds a valid GitHub Actions workflow that uses the shared backends', async () => {
    const { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } = await loadParser()
    const doc = readFileSync(join(REPO, 'docs/ci.md'), 'utf8')
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1]
    expect(yaml).toBeDefined()
    const parsed = parseWorkflow({ name: 'model.yml', content: yaml! }, new NoOperationTraceWriter())
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([])
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!)
    expect(template.errors ?? []).toEqual([])
    expect(template.jobs.map((j) => j.id.toString())).toEqual(['build'])
    // Secrets come from the secret store, never literals; PRs are read-only.
    for (const name of ['MLCI_REGISTRY_URL', 'AWS_SECRET_ACCESS_KEY', 'MLCI_CACHE_KEY']) expect(yaml).toContain(`${name}: \${{ secrets.${name} }}`)
    expect(yaml).toContain("MLCI_STORE_READONLY: ${{ github.event_name == 'pull_request' && '1' || '' }}")
  })

  it('mlci init --ci github writes the same workflow, and never over an existing one without --force', async () => {
    const dir = testdir({ 'train.py': 'print(1)\n' })
    const r = await runCli(['init', '--ci', 'github'], { cwd: dir })
    expect(r.code, r.output).toBe(0)
    expect(r.stdout).toContain('wrote .github/workflows/mlci.yml')
    expect(r.stdout).toContain('MLCI_CACHE_KEY')
    const written = readFileSync(join(dir, '.github/workflows/mlci.yml'), 'utf8')
    const doc = /```yaml\n([\s\S]*?)```/.exec(readFileSync(join(REPO, 'docs/ci.md'), 'utf8'))![1]
    expect(written).toBe(doc)
    const { NoOperationTraceWriter, parseWorkflow } = await loadParser()
    expect(parseWorkflow({ name: 'mlci.yml', content: written }, new NoOperationTraceWriter()).context.errors.getErrors()).toEqual([])

    const again = await runCli(['init', '--ci', 'github'], { cwd: dir })
    expect(again.code, again.output).toBe(2)
    expect(again.output).toContain('already exists; mlci init does not overwrite it')
    expect((await runCli(['init', '--ci', 'gitlab'], { cwd: dir })).output).toContain('--ci "gitlab" is not supported')
  })
})
