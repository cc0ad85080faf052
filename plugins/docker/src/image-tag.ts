/**
 * A Docker tag for a model version. Tags allow `[A-Za-z0-9_.-]`, start with a letter, digit or
 * `_`, and have at most 128 characters. Semver build metadata uses `+`, which is invalid: it
 * becomes `_` (helm and Flux do the same), so `1.2.0+build.5` → `1.2.0_build.5`; `_` cannot occur
 * in semver, so the mapping stays one-to-one. Anything else invalid becomes `-`.
 */
export function imageTag(version: string): string {
  const tag = version.replace(/\+/g, '_').replace(/[^A-Za-z0-9_.-]/g, '-')
  const safe = /^[A-Za-z0-9_]/.test(tag) ? tag : `_${tag}`
  return safe.slice(0, 128)
}

/** `repo:tag`, or `registry/repo:tag` when pushing and the repo does not already name that registry. */
export function imageRepository(image: string, registryUrl?: string): string {
  if (!registryUrl) return image
  const host = registryUrl.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '')
  return image.startsWith(`${host}/`) ? image : `${host}/${image}`
}
