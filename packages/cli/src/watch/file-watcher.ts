import type { Stats } from 'node:fs'
import { watch, type FSWatcher } from 'chokidar'

export interface FileWatcher {
  /** Files being watched once ready. */
  readonly files: number
  /** Time from start to chokidar's `ready`. */
  readonly setupMs: number
  close(): Promise<void>
}

export interface FileWatcherOptions {
  roots: string[]
  /** chokidar has no globs since v4: one function decides (stats absent on the first call). */
  ignored(path: string, stats?: Stats): boolean
  onChange(path: string): void
  onError(error: unknown): void
}

/** chokidar over `roots`, resolved once the initial scan is done; add/change/unlink of files only. */
export async function startFileWatcher(options: FileWatcherOptions): Promise<FileWatcher> {
  const started = performance.now()
  const watcher: FSWatcher = watch(options.roots, { ignoreInitial: true, ignored: (path, stats) => options.ignored(path, stats) })
  watcher.on('all', (event, path) => {
    if (event === 'add' || event === 'change' || event === 'unlink') options.onChange(path)
  })
  watcher.on('error', options.onError)
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  const setupMs = performance.now() - started
  return {
    files: countFiles(watcher.getWatched()),
    setupMs,
    close: () => watcher.close(),
  }
}

/** getWatched() lists folders with their entries; entries that are not folders themselves are files. */
function countFiles(watched: Record<string, string[]>): number {
  let files = 0
  for (const [dir, names] of Object.entries(watched)) {
    for (const name of names) if (!(`${dir}/${name}` in watched)) files++
  }
  return files
}
