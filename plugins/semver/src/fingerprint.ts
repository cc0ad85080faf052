import { createHash } from 'node:crypto'
import type { ArtifactRef, ModelSignature } from '@mlci/core'

/** The phases whose inputs make the model: same fingerprints = same model. */
const MODEL_PHASES = ['train', 'evaluate']

/**
 * The fingerprint of everything the model was built from. With the phase cache, the train and
 * evaluate fingerprints (inputs, params, env, plugin options, upstream); without it, the trained
 * artifacts' digests with the params and signature (training is expected to be deterministic).
 */
export function candidateFingerprint(input: {
  phases: Record<string, string>
  artifacts: ArtifactRef[]
  params?: Record<string, unknown>
  signature?: ModelSignature
}): string {
  const phases = Object.fromEntries(MODEL_PHASES.filter((p) => input.phases[p]).map((p) => [p, input.phases[p]]))
  // A phase the cache cannot fingerprint gets a random one: then only the outputs can tell.
  const usable = Object.keys(phases).length > 0 && Object.values(phases).every(isStable)
  const basis = usable
    ? { phases }
    : { artifacts: [...input.artifacts].sort((a, b) => a.path.localeCompare(b.path)).map((a) => [a.path, a.digest]), params: input.params ?? {}, signature: input.signature ?? null }
  return `sha256:${createHash('sha256').update(stableJson(basis)).digest('hex')}`
}

/** False for the phase cache's random `uncacheable-…` fingerprints. */
export function isStable(fingerprint: string): boolean {
  return !fingerprint.startsWith('uncacheable-')
}

/** The hex part of a fingerprint, shortened (build metadata `+data.3f9a2c1`). */
export function shortFingerprint(fingerprint: string, length = 7): string {
  return fingerprint.replace(/^[a-z0-9]+:/, '').slice(0, length)
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v)
}
