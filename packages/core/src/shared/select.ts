import { join } from 'node:path'
import type { ResolvedConfig } from '../config.js'
import { PgRegistryBackend } from '../registry/pg/backend.js'
import { ModelRegistry, createEmbeddedRegistry } from '../registry/registry.js'
import { ContentStore } from '../store/content-store.js'
import { S3Objects } from '../store/s3/blobs.js'
import { SharedContentStore } from '../store/shared-store.js'
import { registrySettings, storeSettings } from './settings.js'

/** The registry a project uses: PostgreSQL when a registry URL is set (env or config), else files under .mlci/. No I/O. */
export function createRegistry(config: ResolvedConfig, env: NodeJS.ProcessEnv, stateDir: string): ModelRegistry {
  const shared = registrySettings(config, env)
  return shared ? new ModelRegistry(new PgRegistryBackend(shared.target, shared.model)) : createEmbeddedRegistry(stateDir)
}

/** The content store: `.mlci/objects`, with the S3 bucket behind it when a store URL is set. No I/O. */
export function createContentStore(config: ResolvedConfig, env: NodeJS.ProcessEnv, stateDir: string): ContentStore {
  const dir = join(stateDir, 'objects')
  const shared = storeSettings(config, env)
  return shared ? new SharedContentStore(dir, new S3Objects(shared.target), shared.readOnly) : new ContentStore(dir)
}
