import { MlciError, errorMessage } from '@mlci/core'
import type { Palette } from './color.js'

/** The one way errors are shown: code, one-line message, details, then how to fix it. */
export function formatError(error: unknown, c: Palette, redact: (t: string) => string = (t) => t, verbose = false): string {
  const lines: string[] = []
  if (MlciError.is(error)) {
    const where = [error.phase, error.plugin].filter(Boolean).join('/')
    lines.push(`${c.red('✖')} ${c.bold(error.message)}${where ? c.dim(`  (${where})`) : ''} ${c.dim(`[${error.code}]`)}`)
    if (error.details) lines.push(...error.details.split('\n').map((l) => `  ${l}`))
    if (error.hint) lines.push(`  ${c.cyan('→')} ${error.hint}`)
    if (verbose && error.cause instanceof Error && error.cause.stack) lines.push(c.dim(error.cause.stack))
  } else {
    lines.push(`${c.red('✖')} ${c.bold(errorMessage(error))}`)
    if (error instanceof Error && error.stack) lines.push(c.dim(error.stack))
  }
  return redact(lines.join('\n'))
}
