import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Folders that never hold the project's own code or data: dependencies, tool state, builds. */
const SKIPPED = new Set(['.git', '.hg', '.svn', 'node_modules', '.mlci', '__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.nox', '.venv', 'venv', 'env', '.env', 'site-packages', 'build', 'dist', '.idea', '.vscode'])

/** A project as init sees it: relative POSIX paths of its files, and cached reads. */
export interface ProjectFiles {
  root: string
  /** Every file (not folder) within `maxDepth` levels, skipped folders left out, sorted. */
  files: string[]
  /** Top-level folders and files that exist. */
  has(path: string): boolean
  /** The file's text (first 256 KiB), or undefined when it cannot be read. */
  read(path: string): string | undefined
}

/**
 * Walk a bounded part of the tree: init runs once in a fresh repo, but a repo may hold a
 * virtualenv or a data lake, so stop at a depth and a file count rather than read it all.
 */
export function scanProject(root: string, maxDepth = 4, maxFiles = 20_000): ProjectFiles {
  const files: string[] = []
  const visit = (dir: string, rel: string, depth: number) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (files.length >= maxFiles) return
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name) && depth < maxDepth) visit(join(dir, entry.name), childRel, depth + 1)
      } else if (entry.isFile()) {
        files.push(childRel)
      }
    }
  }
  visit(root, '', 0)
  files.sort()
  const texts = new Map<string, string | undefined>()
  return {
    root,
    files,
    has: (path) => statSync(join(root, path), { throwIfNoEntry: false }) !== undefined,
    read(path) {
      if (!texts.has(path)) {
        let text: string | undefined
        try {
          text = readFileSync(join(root, path)).subarray(0, 256 * 1024).toString('utf8')
        } catch {
          text = undefined
        }
        texts.set(path, text)
      }
      return texts.get(path)
    },
  }
}

/** Virtualenv folders at the top level (left out of input globs: thousands of files that are not the project's). */
export function virtualenvs(project: ProjectFiles): string[] {
  return ['.venv', 'venv', 'env'].filter((d) => project.has(`${d}/pyvenv.cfg`) || (d !== 'env' && project.has(d)))
}
