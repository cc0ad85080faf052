import { ErrorCode, MlciError, type ModelVersion } from '@mlci/core'
import semver from 'semver'
import type { BumpKind } from './options.js'

/** The highest `ready` release (not a prerelease): where the next bump starts. */
export function latestReady(versions: ModelVersion[]): ModelVersion | undefined {
  return versions
    .filter((v) => v.status === 'ready' && semver.valid(v.version) && !semver.prerelease(v.version))
    .sort((a, b) => semver.compare(a.version, b.version))
    .at(-1)
}

export interface NextVersionInput {
  /** Every recorded version, any status: their numbers are taken. */
  versions: ModelVersion[]
  base?: string
  bump: BumpKind
  first: string
  /** Prerelease channel (`rc` → `1.4.0-rc.1`, `rc.2`, …). */
  channel?: string
  /** Build metadata without the `+`, e.g. `data.3f9a2c1`. */
  build?: string
}

/**
 * The next free version. A number held by a failed or pending version is never reused (versions
 * are written once): the release moves on by a patch, a prerelease by its counter.
 */
export function nextVersion(input: NextVersionInput): string {
  const taken = new Set(input.versions.map((v) => v.version.split('+')[0]))
  let release = input.base ? semver.inc(input.base, input.bump)! : semver.valid(input.first)!
  while (taken.has(release)) release = semver.inc(release, 'patch')!
  let version = release
  if (input.channel) {
    checkChannel(input.channel)
    const prefix = `${release}-${input.channel}.`
    const used = [...taken].filter((k) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length))).map((k) => Number(k.slice(prefix.length)))
    version = `${prefix}${Math.max(0, ...used) + 1}`
  }
  return input.build ? `${version}+${input.build}` : version
}

export function checkChannel(channel: string): void {
  if (!/^[A-Za-z][0-9A-Za-z-]*$/.test(channel)) {
    throw new MlciError(ErrorCode.USAGE, `--channel "${channel}" is not a usable prerelease name.`, { hint: 'Use letters, digits and "-", starting with a letter: rc, beta, nightly.' })
  }
}
