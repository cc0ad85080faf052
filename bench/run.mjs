// `npm run bench`: runs every bench/*.bench.mjs in one process, one after the other, so the
// side-by-side comparisons inside each file are measured under the same conditions.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const dir = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.mjs')).sort()
  .filter((f) => !only.length || only.some((o) => f.includes(o)))
for (const file of files) {
  console.log(`\n## ${file.replace('.bench.mjs', '')}`)
  const mod = await import(pathToFileURL(join(dir, file)).href)
  await mod.default()
}
