import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SEARCH_PLACES } from '@mlci/core'

/**
 * The config file mlci would load from `dir` itself, if any: every name cosmiconfig searches,
 * and package.json only when it has an "mlci" key (as cosmiconfig reads it).
 */
export function existingConfig(dir: string): string | undefined {
  for (const place of SEARCH_PLACES) {
    const file = join(dir, place)
    if (!existsSync(file)) continue
    if (place !== 'package.json') return place
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
      if (pkg && typeof pkg === 'object' && 'mlci' in pkg) return 'package.json#mlci'
    } catch {
      // an unreadable package.json holds no config cosmiconfig could load either
    }
  }
  return undefined
}
