import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { ResolvedConfig } from '../config.js'
import { ErrorCode, MlciError } from '../errors.js'
import type { Shape } from '../options.js'
import { parsePgUrl, type PgTarget } from '../registry/pg/connection.js'
import { parseS3Url, type S3Target } from '../store/s3/target.js'

/** `registry` and `store` in mlci.config.ts (both optional: the embedded state under .mlci/ is the default). */
export interface RegistryConfig {
  /** postgres://USER:PASSWORD@HOST:PORT/DB. MLCI_REGISTRY_URL wins over it. */
  url?: string
  /** The model's name in a shared registry; default: the package name, else the folder name. */
  model?: string
}
export interface StoreConfig {
  /** s3://BUCKET/PREFIX. MLCI_STORE_URL wins over it. */
  url?: string
  /** Read the shared store and cache, never write them (untrusted runs, e.g. forks' pull requests). MLCI_STORE_READONLY=1 too. */
  readOnly?: boolean
  /** The env var holding the HMAC key that signs cache entries (default MLCI_CACHE_KEY). */
  keyEnv?: string
}

export const REGISTRY_SHAPE: Shape = { url: 'string', model: 'string' }
export const STORE_SHAPE: Shape = { url: 'string', readOnly: 'boolean', keyEnv: 'string' }

export interface SharedRegistrySettings { target: PgTarget; model: string }
export interface SharedStoreSettings { target: S3Target; readOnly: boolean; keyEnv: string; key?: string }

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._/@-]{0,127}$/

/** The shared registry to use, or undefined for the embedded one. Env wins so CI can redirect a repo's config. */
export function registrySettings(config: ResolvedConfig, env: NodeJS.ProcessEnv): SharedRegistrySettings | undefined {
  const own = (config.registry ?? {}) as RegistryConfig
  const fromEnv = env.MLCI_REGISTRY_URL?.trim()
  const url = fromEnv || own.url
  if (!url) return undefined
  const target = parsePgUrl(url, fromEnv ? 'MLCI_REGISTRY_URL' : `registry.url in ${config.file ?? 'the config'}`)
  return { target, model: modelName(config, env) }
}

export function storeSettings(config: ResolvedConfig, env: NodeJS.ProcessEnv): SharedStoreSettings | undefined {
  const own = (config.store ?? {}) as StoreConfig
  const fromEnv = env.MLCI_STORE_URL?.trim()
  const url = fromEnv || own.url
  if (!url) return undefined
  const target = parseS3Url(url, fromEnv ? 'MLCI_STORE_URL' : `store.url in ${config.file ?? 'the config'}`, env)
  const keyEnv = own.keyEnv ?? 'MLCI_CACHE_KEY'
  const readOnly = own.readOnly === true || /^(1|true|yes)$/i.test(env.MLCI_STORE_READONLY ?? '')
  return { target, readOnly, keyEnv, key: env[keyEnv] || undefined }
}

/** The model's name: config, then MLCI_REGISTRY_MODEL, then package.json / pyproject.toml name, then the folder. */
export function modelName(config: ResolvedConfig, env: NodeJS.ProcessEnv): string {
  const configured = ((config.registry ?? {}) as RegistryConfig).model
  const name = configured ?? (env.MLCI_REGISTRY_MODEL?.trim() || projectName(config.root))
  if (!MODEL_NAME.test(name)) {
    throw new MlciError(ErrorCode.CONFIG_INVALID, `Model name ${JSON.stringify(name)}${configured ? ` (registry.model in ${config.file ?? 'the config'})` : ''} is not valid.`, {
      hint: "Use letters, digits and . _ - / @ (up to 128 characters), e.g. registry: { model: 'churn-classifier' }.",
    })
  }
  return name
}

function projectName(root: string): string {
  const read = (file: string) => {
    try {
      return readFileSync(join(root, file), 'utf8')
    } catch {
      return undefined
    }
  }
  const pkg = read('package.json')
  if (pkg) {
    try {
      const name = (JSON.parse(pkg) as { name?: unknown }).name
      if (typeof name === 'string' && MODEL_NAME.test(name)) return name
    } catch {
      // not JSON: fall through
    }
  }
  const pyName = /^\[project\][^[]*?^name\s*=\s*["']([^"']+)["']/ms.exec(read('pyproject.toml') ?? '')?.[1]
  if (pyName && MODEL_NAME.test(pyName)) return pyName
  return basename(root).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'model'
}

/** Secrets in the shared-state settings (URL passwords), for the redactor. */
export function sharedStateSecrets(config: ResolvedConfig): string[] {
  const out: string[] = []
  for (const url of [((config.registry ?? {}) as RegistryConfig).url, ((config.store ?? {}) as StoreConfig).url]) {
    if (!url) continue
    try {
      const password = new URL(url).password
      if (password) out.push(decodeURIComponent(password))
    } catch {
      // reported when the URL is used
    }
  }
  return out
}
