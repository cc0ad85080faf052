type YamlModule = typeof import('yaml')

/**
 * The `yaml` parser, loaded on first use (JSON-only projects never pay for it). Bundled as
 * CommonJS, its named exports may sit on `default`.
 */
export async function loadYaml(): Promise<YamlModule> {
  const mod = (await import('yaml')) as YamlModule & { default?: YamlModule }
  return typeof mod.parse === 'function' ? mod : mod.default!
}
