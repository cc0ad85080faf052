import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** A temporary project folder filled with `files` (path → content). */
export function createTempProject(files: Record<string, string> = {}, parent = tmpdir()): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(parent, 'mlci-test-'))
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
