import { join } from 'node:path'
import type { ResolvedConfig } from '../config.js'
import { Journal, type JournalLog } from '../journal/journal.js'
import { PgRegistryBackend } from '../registry/pg/backend.js'
import { PgJournal } from '../registry/pg/journal.js'
import { ModelRegistry, createEmbeddedRegistry } from '../registry/registry.js'
import type { Registry } from '../registry/types.js'
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

/**
 * The release journal lives with the registry: `.mlci/journal.jsonl` beside the embedded one, a
 * table in the shared one (so any runner can finish what a dead runner left open).
 */
export function releaseJournal(registry: Registry, stateDir: string, owner: { runId: string; pid?: number }): JournalLog {
  const backend = registry instanceof ModelRegistry ? registry.backend : undefined
  return backend instanceof PgRegistryBackend ? new PgJournal(backend, owner) : Journal.at(stateDir, owner)
}
