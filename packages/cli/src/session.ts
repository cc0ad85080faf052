import { Mlci, Redactor, loadConfig, secretsFromEnv, type LoadConfigOptions } from '@mlci/core'
import type { ParsedArgs } from './options.js'
import { withDefaultPlugins } from './default-plugins.js'

/**
 * Redaction for printed errors: the env's secrets until a project is loaded (a config error can
 * quote them), then the project's redactor (env secrets, `secrets`, webhook URLs, …).
 */
let redact: (text: string) => string = (t) => {
  const envOnly = new Redactor(secretsFromEnv(process.env))
  redact = (text) => envOnly.redact(text)
  return redact(t)
}

/** Mask the loaded project's secrets in text main prints (errors can quote env values and commands). */
export function redactError(text: string): string {
  return redact(text)
}

/** Load the config found from --cwd/--config and build the core with its plugins applied. */
export async function openProject(args: ParsedArgs, env: NodeJS.ProcessEnv): Promise<Mlci> {
  return loadProject({ cwd: args.flags.cwd as string | undefined, file: args.flags.config as string | undefined }, env)
}

/** Every command that loads a project goes through here, so its errors are redacted from then on. */
export async function loadProject(where: LoadConfigOptions, env: NodeJS.ProcessEnv): Promise<Mlci> {
  const config = withDefaultPlugins(await loadConfig(where))
  const mlci = new Mlci({ config, env })
  redact = (t) => mlci.redact(t)
  return mlci
}
