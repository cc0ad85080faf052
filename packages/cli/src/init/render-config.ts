import { comment, indent } from './config-text.js'
import type { Detection } from './detect.js'
import { pytestSection, semverSection, trainerSection } from './render-build.js'
import { dockerSection, localSection, monitorSection, rollbackSection } from './render-release.js'
import type { Section } from './section.js'

export interface RenderedConfig {
  text: string
  sections: Section[]
  /** What to install: the CLI, the core and every package the config imports. */
  packages: string[]
}

/** The whole pipeline, in phase order; a section is left out when it has nothing to say. */
export function renderConfig(d: Detection): RenderedConfig {
  const sections = [pytestSection(d), trainerSection(d), semverSection(d), localSection(d), dockerSection(d), monitorSection(d), rollbackSection(d)]
    .filter((s): s is Section => s !== undefined)
  const imports = sections.map((s) => `${s.active ? '' : '// '}import ${s.name} from '${s.pkg}'`)
  const text = [
    ...comment("Written by `mlci init` from what it found in this folder. Edit it freely: each value says where it came from, and commented-out lines show what was not found and what to put there."),
    '//',
    '//   npx mlci build --dry-run   what would run, without training or deploying',
    '//   npx mlci build             test, train, evaluate, gate, version, deploy, monitor',
    '//   npx mlci plugins           every hook and the plugins tapping it',
    "import { defineConfig } from '@mlci/core'",
    ...imports,
    '',
    'export default defineConfig({',
    '  plugins: [',
    ...sections.flatMap((s, i) => [...(i ? [''] : []), ...indent(s.lines, '    ')]),
    '  ],',
    '})',
    '',
  ].join('\n')
  const packages = ['@mlci/cli', '@mlci/core', ...sections.filter((s) => s.active).map((s) => s.pkg)]
  return { text, sections, packages }
}
