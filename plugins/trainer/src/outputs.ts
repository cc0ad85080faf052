import { readdir, readFile, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { ErrorCode, MlciError, sha256File, type ArtifactRef, type ModelSignature } from '@mlci/core'

/**
 * What a training command wrote. A snapshot taken before the command runs tells a freshly
 * written output from one left over by an earlier run: "exited 0" is not "wrote the model".
 */
export type Snapshot = Map<string, string | undefined>

/** Each path's identity (files: inode, size, mtime; folders: the same for every file inside). */
export async function snapshot(paths: string[]): Promise<Snapshot> {
  const out: Snapshot = new Map()
  for (const path of paths) out.set(path, await identity(path))
  return out
}

async function identity(path: string): Promise<string | undefined> {
  const s = await stat(path).catch(() => undefined)
  if (!s) return undefined
  if (!s.isDirectory()) return `${s.ino}:${s.size}:${s.mtimeMs}`
  const files = await listFiles(path)
  if (!files.length) return undefined
  return (await Promise.all(files.map(async (f) => `${f}:${await identity(f)}`))).join('\n')
}

/** Fail naming the first declared output the command did not (re)write. */
export async function checkWritten(before: Snapshot, cwd: string): Promise<void> {
  for (const [path, was] of before) {
    const now = await identity(path)
    const shown = relative(cwd, path) || path
    if (now === undefined) {
      throw new MlciError(ErrorCode.OUTPUT_MISSING, `Training exited 0 but did not write ${shown}.`, {
        hint: `Make the training command write ${shown}, or fix \`outputs\`/\`metrics\`/\`signature\` in the trainer options (paths are relative to ${cwd}).`,
      })
    }
    if (now === was) {
      throw new MlciError(ErrorCode.OUTPUT_MISSING, `Training exited 0 but did not write ${shown} (the one there is left over from an earlier run).`, {
        hint: `Make the training command write ${shown} on every run, or remove it from the trainer's declared outputs.`,
      })
    }
  }
}

/** Files (recursively, sorted) under a folder. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort()
}

/** Digest every output file; paths relative to the project root. */
export async function artifactRefs(paths: string[], root: string): Promise<ArtifactRef[]> {
  const refs: ArtifactRef[] = []
  for (const path of paths) {
    const s = await stat(path)
    for (const file of s.isDirectory() ? await listFiles(path) : [path]) {
      const { digest, size } = await sha256File(file)
      refs.push({ path: relative(root, file).split('\\').join('/'), digest, size })
    }
  }
  return refs
}

export async function readSignature(file: string, shown: string): Promise<ModelSignature> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(resolve(file), 'utf8'))
  } catch (error) {
    throw new MlciError(ErrorCode.OUTPUT_INVALID, `Signature file ${shown} is not valid JSON: ${(error as Error).message}`, {
      hint: 'The training command must write the signature as JSON: {"inputs": [{"name", "type"}…], "outputs": …}.',
    })
  }
  const inputs = (value as { inputs?: unknown } | null)?.inputs
  if (!Array.isArray(inputs) || !inputs.every((i) => typeof i?.name === 'string' && typeof i?.type === 'string')) {
    throw new MlciError(ErrorCode.OUTPUT_INVALID, `Signature file ${shown} has no valid "inputs" list (each {"name": string, "type": string}).`, {
      hint: 'Write {"inputs": [{"name": "length", "type": "float"}, …], "outputs": …}.',
    })
  }
  return value as ModelSignature
}
