let counter = 0

/**
 * A name part no other writer uses at the same time, for temp files beside their target: the
 * pid separates processes on this host, the counter calls within one, and the clock (ns) processes
 * on other hosts sharing the folder. Not node:crypto: loading it costs a start that writes a file
 * (the bundles load it on first use, scripts/bundle.mjs), and these names guard against
 * collisions, not adversaries. Not Math.random
 * either: the lock tests count its calls as backoffs.
 */
export function uniqueSuffix(): string {
  return `${process.pid}.${(counter++).toString(36)}.${process.hrtime.bigint().toString(36)}`
}
