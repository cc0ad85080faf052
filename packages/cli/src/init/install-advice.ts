import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'

/**
 * The install command for the packages a new config imports, fitted to how this project got
 * mlci: nothing when package.json already lists them all; the sibling tarballs when @mlci/cli
 * came from a packed tarball (mlci is not on the npm registry yet); else the registry names with
 * the tarball route spelled out. Lines are ready to print, indented by the caller.
 */
export function installAdvice(root: string, packages: string[]): string[] {
  const deps = declaredDependencies(root)
  const missing = packages.filter((p) => deps[p] === undefined)
  if (!missing.length) return []
  const tarballDir = tarballFolder(root, deps)
  if (tarballDir) {
    const files = readdirSync(tarballDir).filter((f) => f.endsWith('.tgz'))
    const found = missing.map((p) => files.find((f) => f.startsWith(`${tarballName(p)}-`) && /^\d/.test(f.slice(tarballName(p).length + 1))))
    if (found.every(Boolean)) {
      const rel = relative(root, tarballDir) || '.'
      return [`npm install --save-dev ${found.map((f) => join(rel, f!)).join(' ')}`]
    }
  }
  return [
    `npm install --save-dev ${missing.join(' ')}`,
    '# until mlci is on the npm registry: in a clone of mlci run `npm ci && npm run tarballs -- <dir>`,',
    `# then here: npm install --save-dev ${missing.map((p) => `<dir>/${tarballName(p)}-*.tgz`).join(' ')}`,
  ]
}

/** `@mlci/plugin-pytest` → `mlci-plugin-pytest`, the start of the file `npm pack` writes. */
function tarballName(pkg: string): string {
  return pkg.replace(/^@/, '').replace('/', '-')
}

function declaredDependencies(root: string): Record<string, string> {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
    return { ...pkg.dependencies, ...pkg.devDependencies }
  } catch {
    return {}
  }
}

/** The folder of the tarball @mlci/cli (or @mlci/core) was installed from, if it was. */
function tarballFolder(root: string, deps: Record<string, string>): string | undefined {
  for (const name of ['@mlci/cli', '@mlci/core']) {
    const spec = deps[name]?.replace(/^file:/, '')
    if (!spec?.endsWith('.tgz')) continue
    const dir = dirname(isAbsolute(spec) ? spec : resolve(root, spec))
    if (existsSync(dir)) return dir
  }
  return undefined
}
