import { cp, mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path'
import { ErrorCode, MlciError } from '@mlci/core'
import type { CopyEntry, GenerateOptions } from './options.js'

/** The Dockerfile for `generate: { base, copy, cmd }`: base image, copied files, exec-form CMD. */
export function renderDockerfile(options: GenerateOptions): string {
  const workdir = options.workdir ?? '/app'
  const lines = [`FROM ${options.base}`, `WORKDIR ${workdir}`]
  for (const entry of options.copy) {
    const { from, to } = copyTarget(entry, workdir)
    lines.push(`COPY ${JSON.stringify([from, to])}`)
  }
  const env = { PYTHONUNBUFFERED: '1', ...options.env }
  lines.push(`ENV ${Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`)
  lines.push(`CMD ${JSON.stringify(options.cmd)}`)
  return lines.join('\n') + '\n'
}

function copyTarget(entry: CopyEntry, workdir: string): { from: string; to: string } {
  if (typeof entry !== 'string') return { from: entry.from.split('\\').join('/'), to: entry.to }
  const from = entry.split('\\').join('/')
  return { from, to: posix.join(workdir, from) }
}

/**
 * A minimal build context holding only the files `generate.copy` names, so the project's state
 * (`.mlci/`, data, `.env` files) is never sent to the engine or baked into a layer.
 */
export async function prepareGeneratedContext(options: GenerateOptions, projectDir: string, tmpRoot: string): Promise<string> {
  await mkdir(tmpRoot, { recursive: true })
  const dir = await mkdtemp(join(tmpRoot, 'docker-context-'))
  for (const entry of options.copy) {
    const from = typeof entry === 'string' ? entry : entry.from
    const source = resolve(projectDir, from)
    const inside = relative(projectDir, source)
    if (isAbsolute(from) || inside.startsWith('..')) {
      throw new MlciError(ErrorCode.PLUGIN_OPTIONS, `generate.copy entry "${from}" is outside the project.`, {
        hint: 'List paths relative to the project root, e.g. "out/model.json".',
      })
    }
    try {
      await stat(source)
    } catch {
      throw new MlciError(ErrorCode.NOT_FOUND, `generate.copy entry "${from}" does not exist (${source}).`, {
        hint: 'Train first (the model artifact must exist), or fix the path in the docker plugin options.',
      })
    }
    const target = join(dir, inside)
    await mkdir(dirname(target), { recursive: true })
    await cp(source, target, { recursive: true })
  }
  await writeFile(join(dir, 'Dockerfile'), renderDockerfile(options))
  return dir
}
