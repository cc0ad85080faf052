import type { ProjectFiles } from './project-files.js'

export interface TestsFound {
  /** Test files (test_*.py, *_test.py, or any .py under a tests/ or test/ folder named test*). */
  files: string[]
  /** Where they live, for the comment: `tests/`, or the folders holding them. */
  where: string
  /** The file that configures pytest, and how we know. */
  config?: { value: string; from: string }
}

const TEST_FILE = /(^|\/)(test_[^/]*|[^/]*_test)\.py$/

/** pytest's own discovery rules, read from the files it would read. */
export function detectTests(project: ProjectFiles): TestsFound | undefined {
  const files = project.files.filter((f) => TEST_FILE.test(f))
  if (!files.length) return undefined
  const folders = [...new Set(files.map((f) => f.split('/')[0]).filter((top) => top === 'tests' || top === 'test'))]
  const where = folders.length ? folders.map((f) => `${f}/`).join(' and ') : files.length === 1 ? files[0] : 'the project'
  return { files, where, config: pytestConfig(project) }
}

function pytestConfig(project: ProjectFiles): TestsFound['config'] {
  if (project.has('pytest.ini')) return { value: 'pytest.ini', from: 'pytest.ini' }
  const sections: [string, RegExp][] = [
    ['pyproject.toml', /^\[tool\.pytest(\.ini_options)?\]/m],
    ['tox.ini', /^\[pytest\]/m],
    ['setup.cfg', /^\[tool:pytest\]/m],
  ]
  for (const [file, section] of sections) {
    const text = project.read(file)
    const match = text && section.exec(text)
    if (match) return { value: file, from: `the ${match[0]} section of ${file}` }
  }
  return undefined
}
