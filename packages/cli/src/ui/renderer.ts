import type { Mlci, RunResult } from '@mlci/core'

/** Renders a run from the core's events. Plugins never talk to the renderer. */
export interface Renderer {
  /** Subscribe before the run starts. */
  attach(mlci: Mlci): void
  /** After the run: wait for the last frame, print the summary. */
  finish(result: RunResult): Promise<void>
}

export interface RendererOptions {
  stream: NodeJS.WriteStream
  verbose: boolean
  color: boolean
}

export async function createRenderer(options: RendererOptions & { interactive: boolean }): Promise<Renderer> {
  if (options.interactive) {
    const { ListrRenderer } = await import('./listr-renderer.js')
    return new ListrRenderer(options)
  }
  const { PlainRenderer } = await import('./plain-renderer.js')
  return new PlainRenderer(options)
}
