// Pack every publishable package (packages/*, plugins/*) into one folder, as npm would publish
// them: `npm run tarballs -- <dir>` (default: ./tarballs). Install them into any project with
// `npm install --save-dev <dir>/mlci-*.tgz` — see "Use mlci in your own repo" in README.md.
// Run `npm run build` first (npm ci does): the tarballs hold the built dist/ folders.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = resolve(process.argv[2] ?? join(root, 'tarballs'))

const workspaces = ['packages', 'plugins'].flatMap((group) => readdirSync(join(root, group)).map((name) => join(group, name)))
  .filter((dir) => existsSync(join(root, dir, 'package.json')))
  .filter((dir) => !JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).private)
for (const dir of workspaces) {
  if (!existsSync(join(root, dir, 'dist'))) {
    console.error(`${dir}/dist does not exist: run \`npm run build\` first.`)
    process.exit(1)
  }
}
mkdirSync(out, { recursive: true })
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out, ...workspaces.flatMap((w) => ['--workspace', w])], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
for (const p of packed) console.log(relative(process.cwd(), join(out, p.filename)) || p.filename)
