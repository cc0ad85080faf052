import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface SourcePosition { path: string; line: number; column: number }

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/

/**
 * Maps a 1-based line:column in a compiled config module (esbuild output with an inline source
 * map) back to the file the user wrote. Read only when loading the config failed: turning on
 * Node's source maps for the load instead made every start parse the maps of each module loaded
 * meanwhile (~13 % of a no-op build's instructions).
 */
export function compiledConfigMapper(compiledFile: string): (line: number, column: number) => SourcePosition | undefined {
  let map: SourceMap | undefined
  let root = pathToFileURL(compiledFile).href
  try {
    const encoded = INLINE_MAP.exec(readFileSync(compiledFile, 'utf8'))?.[1]
    if (encoded) {
      const payload = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { sourceRoot?: string }
      map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0])
      // Sources are relative to sourceRoot (the config's folder); Node's SourceMap leaves them so.
      if (payload.sourceRoot) root = payload.sourceRoot
    }
  } catch {
    map = undefined // an unreadable cache file: positions stay unmapped, the message still names the config
  }
  return (line, column) => {
    const entry = map?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined
    if (!entry?.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined
    const path = fileURLToPath(new URL(entry.originalSource, root))
    return { path, line: entry.originalLine + 1, column: entry.originalColumn + 1 }
  }
}
