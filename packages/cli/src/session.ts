import { Mlci, loadConfig } from '@mlci/core'
import type { ParsedArgs } from './options.js'

/** Load the config found from --cwd/--config and build the core with its plugins applied. */
export async function openProject(args: ParsedArgs, env: NodeJS.ProcessEnv): Promise<Mlci> {
  const config = await loadConfig({ cwd: args.flags.cwd as string | undefined, file: args.flags.config as string | undefined })
  return new Mlci({ config, env })
}
