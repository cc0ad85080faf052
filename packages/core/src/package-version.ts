import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The version in the nearest package.json named `name`, above the calling module. Walks up
 * instead of a fixed `../package.json` so it works from the tsc output and from the bundle.
 */
export function packageVersion(moduleUrl: string, name: string): string {
  let dir = dirname(fileURLToPath(moduleUrl))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === name && pkg.version) return pkg.version
    }
    const parent = dirname(dir)
    if (parent === dir) return '0.0.0'
    dir = parent
  }
}
