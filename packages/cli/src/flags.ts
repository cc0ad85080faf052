// The flag table on its own (no @mlci/core import): `mlci --help` prints it without loading core.

/** Every flag, once: name, type, help. Commands list which ones they accept. */
export const FLAGS = {
  config: { type: 'string', short: 'c', value: 'file', description: 'Use this config file instead of searching for one' },
  cwd: { type: 'string', value: 'dir', description: 'Run as if started in this folder' },
  verbose: { type: 'boolean', short: 'v', description: 'Show every output line of every plugin (and cached logs)' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
  version: { type: 'boolean', description: 'Show the mlci version' },
  json: { type: 'boolean', description: 'Print machine-readable JSON instead of the task list' },
  only: { type: 'string', multiple: true, value: 'phases', description: 'Run only these phases (comma-separated)' },
  skip: { type: 'string', multiple: true, value: 'phases', description: 'Skip these phases (comma-separated)' },
  'dry-run': { type: 'boolean', description: 'Run only side-effect-free phases; write nothing' },
  check: { type: 'boolean', description: 'With --dry-run: exit 1 when any phase is out of date (CI freshness gate)' },
  force: { type: 'string', multiple: true, value: 'phases', optionalValue: true, description: 'Ignore the cache (for all phases, or the ones listed)' },
  explain: { type: 'boolean', description: 'Say why each phase runs or is cached' },
  channel: { type: 'string', value: 'name', description: 'Release on a prerelease channel, e.g. rc → 1.4.0-rc.1' },
  'wait-for-lock': { type: 'boolean', description: 'Wait for another mlci run in this repo instead of failing' },
  md: { type: 'boolean', description: 'Print a markdown table' },
  to: { type: 'string', value: 'version', description: 'Target version' },
  every: { type: 'string', value: 'interval', description: 'Repeat every interval (e.g. 5m, 30s)' },
  format: { type: 'string', value: 'md|html|json', description: 'Output format' },
  out: { type: 'string', value: 'file', description: 'Write to this file' },
  since: { type: 'string', value: 'version', description: 'Start from this version' },
  phase: { type: 'string', value: 'name', description: 'Only this phase' },
  phases: { type: 'string', multiple: true, value: 'phases', description: 'Phases to run (comma-separated)' },
  debounce: { type: 'string', value: 'ms', description: 'Wait this long after the last change' },
  deploy: { type: 'boolean', description: 'Also deploy and monitor' },
  'max-size': { type: 'string', value: 'MB', description: 'Cache size limit' },
  reason: { type: 'string', value: 'text', description: 'Why (recorded in the ledger)' },
  'allow-signature-change': { type: 'boolean', description: 'With rollback --to: accept a target whose model signature differs from the live one' },
  'max-rollbacks': { type: 'string', value: 'n', description: 'monitor --every: automatic rollbacks allowed per window before it stops acting (default 1)' },
  'rollback-window': { type: 'string', value: 'interval', description: 'monitor --every: the circuit breaker window (default 1h)' },
  ci: { type: 'string', value: 'github', description: 'For init: write a CI workflow on shared state instead of the config' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; value?: string; optionalValue?: boolean; description: string }>

export type FlagName = keyof typeof FLAGS
export const GLOBAL_FLAGS: FlagName[] = ['config', 'cwd', 'verbose', 'help']
