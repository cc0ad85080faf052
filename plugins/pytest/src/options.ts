import type { Shape } from '@mlci/core'

export interface PytestOptions {
  /** Extra pytest arguments, e.g. ['-x', 'tests/unit']. */
  args?: string[]
  /** Interpreter to use (default: $MLCI_PYTHON, then python3, then python on PATH). */
  python?: string
  /** Where to run pytest, relative to the project root. */
  cwd?: string
  /** Extra environment for pytest (on top of mlci's), e.g. `{ MODEL_DIR: 'out' }`. */
  env?: Record<string, string>
  /** Marker expression (`-m`). */
  markers?: string
  /** Keyword expression (`-k`). */
  keywords?: string
  /** Treat "no tests collected" (exit 5) as success. */
  allowNoTests?: boolean
  /** Milliseconds before the run is killed. */
  timeout?: number
  /** Globs whose content the test result depends on (phase cache, watch). */
  inputs?: string[]
  /** Set PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 (default true): much faster startup. */
  disablePluginAutoload?: boolean
}

export const OPTIONS_SHAPE: Shape = {
  args: 'string[]', python: 'string', cwd: 'string', env: { record: 'string' }, markers: 'string',
  keywords: 'string', allowNoTests: 'boolean', timeout: 'number', inputs: 'string[]', disablePluginAutoload: 'boolean',
}

/**
 * Python sources and pytest config; `!` globs exclude virtualenvs, build output and state that
 * would otherwise make every change look like a test input.
 */
export const DEFAULT_INPUTS = [
  '**/*.py', 'pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini', 'conftest.py',
  '!**/.venv/**', '!**/venv/**', '!**/.tox/**', '!**/node_modules/**', '!**/build/**', '!**/dist/**',
  '!**/__pycache__/**', '!.mlci/**',
]
