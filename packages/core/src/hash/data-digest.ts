import { createHash } from 'node:crypto'
import { relative } from 'node:path'
import { sha256File } from '../store/content-store.js'
import { toPosix } from './paths.js'
import { findFiles } from './walk.js'

/** What a model was trained on: the content of its declared data files, and nothing else. */
export interface DatasetRef {
  /** `sha256:<hex>` over the files' relative paths and content digests, sorted by path. */
  digest: string
  /** How many files matched. */
  files: number
  /** The globs that declared them. */
  patterns: string[]
}

/**
 * The digest of the data files matching `patterns` under `cwd` (paths recorded relative to
 * `root`, so the same data in another checkout gives the same digest). Code, params and options
 * are deliberately not part of it: this is what `+data.<hash>` in a version names.
 */
export async function datasetDigest(root: string, cwd: string, patterns: readonly string[]): Promise<DatasetRef> {
  const found = findFiles({ cwd, patterns }).map((f) => f.path).sort()
  const hash = createHash('sha256')
  for (const path of found) hash.update(`${toPosix(relative(root, path))}\0${(await sha256File(path)).digest}\n`)
  return { digest: `sha256:${hash.digest('hex')}`, files: found.length, patterns: [...patterns] }
}
