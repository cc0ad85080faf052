/**
 * One ordering knob for taps: tapable's `stage`. Lower runs first. Use the named constants
 * rather than numbers so intent reads in the config and in `mlci plugins`.
 */
export const Stage = {
  FIRST: -200,
  EARLY: -100,
  NORMAL: 0,
  LATE: 100,
  LAST: 200,
} as const
export type StageValue = number

export function stageName(stage: number | undefined): string {
  const value = stage ?? 0
  for (const [name, n] of Object.entries(Stage)) if (n === value) return name
  return String(value)
}
