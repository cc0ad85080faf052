import { createHash } from 'node:crypto'
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Every entry under `root` (relative path → kind + content digest), for tests that claim a
 * command changed nothing: compare the whole tree before and after, not a few chosen paths.
 */
export function treeSnapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const rel of readdirSync(root, { recursive: true }).map(String).sort()) {
    const path = join(root, rel)
    const st = lstatSync(path)
    if (st.isDirectory()) out[rel] = 'dir'
    else if (st.isSymbolicLink()) out[rel] = `link → ${readlinkSync(path)}`
    else out[rel] = `file ${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`
  }
  return out
}
