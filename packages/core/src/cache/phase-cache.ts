import type { Mlci } from '../mlci.js'
import type { PhaseCache } from './types.js'

// Interim: caching disabled until the content-addressed phase cache lands (issue 3).
export function createPhaseCache(_mlci: Mlci): PhaseCache | false {
  return false
}
