import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The nearest package.json named `name` above `file`. Walks up instead of a fixed
 * `../package.json` so it works from tsc output, from a bundle and from any install layout.
 */
export function findPackageJson(file: string, name: string): { name?: string; version?: string } | undefined {
  let dir = dirname(file)
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string }
        if (pkg.name === name) return pkg
      } catch {
        // unreadable: keep walking
      }
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** The version of package `name`, read from above the calling module (`import.meta.url`). */
export function packageVersion(moduleUrl: string, name: string): string {
  return findPackageJson(fileURLToPath(moduleUrl), name)?.version ?? '0.0.0'
}
