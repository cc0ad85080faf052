import { appendFile, readFile } from 'node:fs/promises'
import { runMarker } from './markdown.js'

/**
 * Append a run's markdown to a GitHub step summary file. `mlci build` and `mlci report` may
 * both do it in one job: a run already in the file (found by its marker) is not added twice.
 * Returns false when skipped.
 */
export async function appendStepSummary(file: string, markdown: string, runId: string): Promise<boolean> {
  const existing = await readFile(file, 'utf8').catch(() => '')
  if (existing.includes(runMarker(runId))) return false
  const separator = existing && !existing.endsWith('\n\n') ? (existing.endsWith('\n') ? '\n' : '\n\n') : ''
  await appendFile(file, `${separator}${markdown}`)
  return true
}
