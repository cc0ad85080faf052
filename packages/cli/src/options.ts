import { parseArgs } from 'node:util'
import { ErrorCode, MlciError } from '@mlci/core'

import { FLAGS, GLOBAL_FLAGS, type FlagName } from './flags.js'

export { FLAGS, GLOBAL_FLAGS, type FlagName }

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

/** A comma/space separated list flag, possibly given several times. */
export function listFlag(value: unknown): string[] | undefined {
  if (value === undefined || value === false) return undefined
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(/[,\s]+/)).filter(Boolean)
  return items
}

export function parse(argv: string[], allowed: FlagName[]): ParsedArgs {
  const names = new Set<FlagName>([...allowed, ...GLOBAL_FLAGS])
  // `--force` alone means "all phases": parseArgs has no optional values, so a bare optional-value flag becomes `--x=*`.
  const optional = new Set([...names].filter((n) => (FLAGS[n] as { optionalValue?: boolean }).optionalValue).map((n) => `--${n}`))
  const normalized = argv.map((arg, i) => (optional.has(arg) && (argv[i + 1] === undefined || argv[i + 1].startsWith('-')) ? `${arg}=*` : arg))
  const options = Object.fromEntries([...names].map((n) => {
    const f = FLAGS[n] as { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
    return [n, { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) }]
  }))
  try {
    const { values, positionals } = parseArgs({ args: normalized, options, allowPositionals: true, strict: true })
    return { flags: values as ParsedArgs['flags'], positionals }
  } catch (error) {
    throw new MlciError(ErrorCode.USAGE, (error as Error).message.replace(/\. To specify.*$/s, '.'), { hint: 'See `mlci <command> --help`.' })
  }
}
