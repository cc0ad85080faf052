let counter = 0

/**
 * A name part no other writer uses at the same time, for temp files beside their target: the
 * pid separates processes on this host, the counter calls within one, and the random part
 * processes on other hosts sharing the folder. Not node:crypto: loading it costs every start
 * (lazy-crypto.ts), and these names guard against collisions, not adversaries.
 */
export function uniqueSuffix(): string {
  return `${process.pid}.${(counter++).toString(36)}${Math.random().toString(36).slice(2, 10)}`
}
