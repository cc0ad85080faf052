import { ErrorCode, MlciError } from './errors.js'
import { PHASES, PHASE_NAMES, type LifecyclePhase } from './phases.js'
import type { TapInfo } from './tap-interceptor.js'

/**
 * Which verify taps run in a command, decided by core so no plugin needs opt-out code: a verify
 * tap prepares the phases its plugin takes part in, and a check for a phase this command will not
 * run (a deployer's port under `--skip deploy`) is no reason to fail it.
 *
 * A tap's scope is what it declares (`tapPromise({ name, phases: ['deploy'] }, …)`, for a plugin
 * that also taps phases its check is not about, such as a deployer's `version` tap), else every
 * lifecycle phase its plugin taps; `rollback` counts as the phases whose failure leads to it.
 * A plugin that taps no phase (a pure preflight) has an empty scope: its verify always runs.
 */
export function verifyScope(tap: TapInfo, taps: readonly TapInfo[]): LifecyclePhase[] {
  if (tap.phases) return tap.phases
  const scope = new Set<LifecyclePhase>()
  for (const other of taps) {
    if (other.plugin !== tap.plugin || other.hook === 'verify') continue
    if (other.hook === 'rollback') for (const row of PHASES) if (row.onFailure === 'rollback') scope.add(row.name as LifecyclePhase)
    if ((PHASE_NAMES as readonly string[]).includes(other.hook)) scope.add(other.hook as LifecyclePhase)
  }
  return [...scope]
}

/** Whether a verify tap runs when the command runs `phases` (undefined: outside a lifecycle run, all run). */
export function verifyRuns(tap: TapInfo, taps: readonly TapInfo[], phases: readonly string[] | undefined): boolean {
  if (tap.hook !== 'verify' || !phases) return true
  const scope = verifyScope(tap, taps)
  return !scope.length || scope.some((phase) => phases.includes(phase))
}

/** The `phases` option of a verify tap, checked when it is tapped (a typo must not silently skip a check). */
export function checkVerifyPhases(plugin: string, value: unknown): LifecyclePhase[] | undefined {
  if (value === undefined) return undefined
  const names = PHASE_NAMES.filter((p) => p !== 'verify')
  if (!Array.isArray(value) || !value.length || value.some((p) => !(names as readonly unknown[]).includes(p))) {
    throw new MlciError(ErrorCode.PLUGIN_INVALID, `Plugin ${plugin}: the \`phases\` of its verify tap must be a non-empty list of phases, got ${JSON.stringify(value)}.`, {
      plugin, hint: `Phases are: ${names.join(', ')}. Leave \`phases\` out to check for every phase the plugin taps.`,
    })
  }
  return value as LifecyclePhase[]
}
