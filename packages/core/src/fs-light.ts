import { readFile as readFileCallback, stat as statCallback, type Stats } from 'node:fs'

// What every build reads, as promises over fs's callback API. Importing node:fs/promises loads
// readline, the fs watchers and the Dir API (~11 M instructions, ~5 % of a no-op build), and
// the CommonJS bundles load it only when one of its functions is first called (lazy built-ins
// in scripts/bundle.mjs): the calls a no-op build makes come from here. Same results, same errors.

export function readText(file: string): Promise<string> {
  return new Promise((resolve, reject) => readFileCallback(file, 'utf8', (error, text) => (error ? reject(error) : resolve(text))))
}

export function statOf(file: string): Promise<Stats> {
  return new Promise((resolve, reject) => statCallback(file, (error, stats) => (error ? reject(error) : resolve(stats))))
}
