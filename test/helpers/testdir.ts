import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const CLI = join(REPO, 'packages/cli/bin/mlci.js')
export const FIXTURES = join(REPO, 'fixtures')
const TMP_ROOT = join(REPO, '.tmp', 'tests')

const created: string[] = []
afterAll(() => {
  if (process.env.MLCI_KEEP_TESTDIRS) return
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/**
 * A temp project inside the repo (so `@mlci/*` resolve through the workspace's node_modules),
 * filled with `files` (path → content), removed after the test file (changesets' testdir).
 */
export function testdir(files: Record<string, string> = {}): string {
  mkdirSync(TMP_ROOT, { recursive: true })
  const dir = mkdtempSync(join(TMP_ROOT, 'p-'))
  created.push(dir)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

/** A fresh copy of a fixture project (without its out/ and .mlci/ state). */
export function copyFixture(name: string, extra: Record<string, string> = {}): string {
  const dir = testdir()
  cpSync(join(FIXTURES, name), dir, {
    recursive: true,
    filter: (src) => !/[\\/](out|\.mlci|__pycache__|\.pytest_cache|node_modules)([\\/]|$)/.test(src.slice(join(FIXTURES, name).length)),
  })
  for (const [path, content] of Object.entries(extra)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

/** Point a config that `mlci init` wrote at `port` instead of the local deployer's default 8731. */
export async function usePort(configFile: string, port: number): Promise<void> {
  const text = readFileSync(configFile, 'utf8')
  if (!text.includes('port: 8731,')) throw new Error(`${configFile} has no "port: 8731," to replace`)
  writeFileSync(configFile, text.replace('port: 8731,', `port: ${port},`))
}
