import type { Palette } from '../ui/color.js'
import type { Detection } from './detect.js'
import { installAdvice } from './install-advice.js'
import type { RenderedConfig } from './render-config.js'
import { LOCAL_PORT } from './render-release.js'

/** What init found, what it wrote, and what to run next: the user reads this once. */
export function initSummary(d: Detection, config: RenderedConfig, file: string, c: Palette, root: string): string {
  const t = d.training
  const rows: [string, string | undefined][] = [
    ['tests', d.tests && `${d.tests.files.length} file${d.tests.files.length === 1 ? '' : 's'} in ${d.tests.where}${d.tests.config ? ` (${d.tests.config.value})` : ''} → pytest`],
    ['training', t && `${t.script.value} → trainer`],
    // What training writes and reads only means something once there is training.
    ...(t ? [
      ['params', t.params && `${t.params.value} (passed as ${{ file: '--params <file>', argv: '--name value', env: 'MLCI_PARAM_<NAME>' }[t.params.mode]})`],
      ['model', t.outputs.model?.value],
      ['metrics', t.outputs.metrics && `${t.outputs.metrics.value}${t.outputs.gateMetric ? ` → gate on ${t.outputs.gateMetric.value}` : ''}`],
      ['signature', t.outputs.signature?.value],
    ] as [string, string | undefined][] : []),
    ['data', d.data.length ? d.data.map((dir) => `${dir}/`).join(', ') : undefined],
    ['server', d.server && `${d.server.value}${t ? ` → local deployer on 127.0.0.1:${LOCAL_PORT}, rollback` : ''}`],
    ['probe data', d.probe && `${d.probe.value}${config.sections.some((s) => s.name === 'monitor' && s.active) ? ' → live analysis' : ''}`],
    ['Dockerfile', d.dockerfile && (config.sections.some((s) => s.name === 'docker') ? 'Dockerfile (a docker deployer, commented out)' : 'Dockerfile')],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  const lines = [
    `${c.green('Wrote')} ${file}. Found:`,
    ...rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value ?? c.dim('not found')}`),
    ...(rows.some(([, value]) => value === undefined) ? ['', `The commented-out lines in ${file} say what to put there for what was not found.`] : []),
    '',
    'Next:',
    ...installAdvice(root, config.packages).map((line) => `  ${line}`),
    '  npx mlci build --dry-run   # what would run',
    '  npx mlci build',
  ]
  return lines.join('\n') + '\n'
}
