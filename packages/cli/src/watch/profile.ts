import { ErrorCode, MlciError, PHASE_NAMES, isPhaseName, type LifecyclePhase, type ResolvedConfig } from '@mlci/core'
import { listFlag } from '../options.js'

/**
 * What `mlci watch` runs by default: everything up to the gate. No `version` (watch cycles would
 * fill the registry with throwaway versions) and never `deploy`/`monitor` unless asked.
 */
const DEFAULT_WATCH_PHASES: readonly LifecyclePhase[] = ['verify', 'test', 'validate', 'train', 'evaluate', 'gate']
const DEPLOY_PHASES: readonly LifecyclePhase[] = ['version', 'deploy', 'monitor']
export const DEFAULT_DEBOUNCE_MS = 100

export interface WatchProfile {
  /** Phases a cycle may run, in lifecycle order. */
  phases: LifecyclePhase[]
  debounceMs: number
  deploy: boolean
}

export interface WatchFlags {
  phases?: unknown
  debounce?: unknown
  deploy?: unknown
}

/** Flags win over the config's `watch` block, which wins over the defaults. */
export function resolveProfile(flags: WatchFlags, config: ResolvedConfig['watch'] = {}): WatchProfile {
  const deploy = Boolean(flags.deploy) || config.deploy === true
  const fromFlags = listFlag(flags.phases)
  const listed = fromFlags ?? config.phases
  const source = fromFlags ? '--phases' : 'watch.phases in the config'
  // A bad flag is a usage error; a bad config is reported and watch mode waits for the fix.
  const code = fromFlags ? ErrorCode.USAGE : ErrorCode.CONFIG_INVALID
  for (const name of listed ?? []) {
    if (!isPhaseName(name)) {
      throw new MlciError(code, `Unknown phase "${name}" in ${source}.`, { hint: `Phases are: ${PHASE_NAMES.join(', ')}.` })
    }
  }
  const wanted = new Set<string>(listed ?? (deploy ? [...DEFAULT_WATCH_PHASES, ...DEPLOY_PHASES] : DEFAULT_WATCH_PHASES))
  const deploying = [...wanted].filter((p) => p === 'deploy' || p === 'monitor')
  if (deploying.length && !deploy) {
    throw new MlciError(code, `${source} includes ${deploying.join(' and ')}, but watch mode only deploys when asked.`, {
      hint: 'Pass --deploy (or set watch.deploy: true in the config) to deploy on every change, or drop deploy/monitor from the list.',
    })
  }
  return {
    phases: PHASE_NAMES.filter((p) => wanted.has(p)),
    debounceMs: parseDebounce(flags.debounce, config.debounce),
    deploy,
  }
}

function parseDebounce(flag: unknown, configured: number | undefined): number {
  if (flag === undefined) {
    if (configured === undefined) return DEFAULT_DEBOUNCE_MS
    if (!Number.isFinite(configured) || configured < 0) {
      throw new MlciError(ErrorCode.CONFIG_INVALID, `watch.debounce must be a number of milliseconds ≥ 0, got ${configured}.`, { hint: 'For example watch: { debounce: 100 }.' })
    }
    return configured
  }
  const value = Number(flag)
  if (String(flag).trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new MlciError(ErrorCode.USAGE, `--debounce must be a number of milliseconds ≥ 0, got "${String(flag)}".`, { hint: 'For example --debounce 100.' })
  }
  return value
}
