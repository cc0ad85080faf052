import { comment, commentedOut, list, q } from './config-text.js'
import type { Detection } from './detect.js'
import type { Section } from './section.js'

/** The local deployer's default port: clear of the 8000/8080 dev servers people already run. */
export const LOCAL_PORT = 8731

const PLACEHOLDERS: Record<string, string> = { '--model': '{model}', '--host': '{host}', '--port': '{port}', '--model-version': '{version}' }

/** Releasing needs a model to release and a server to run it. */
const releasable = (d: Detection) => Boolean(d.training && d.server)

export function localSection(d: Detection): Section {
  const section = { name: 'local', pkg: '@mlci/plugin-local' }
  const server = d.server
  if (!server || !d.training) {
    const why = !server ? 'no model server found (serve.py, app.py, server.py or api.py answering /health)' : 'there is no training to release'
    return {
      ...section, active: false,
      lines: [
        ...comment(`Deployment: ${why}. With one, each release runs as a local background server; uncomment with the local import above:`),
        ...commentedOut(["local({ command: ['python3', 'serve.py', '--model', '{model}', '--port', '{port}'] }),"]),
      ],
    }
  }
  const argv = ['python3', server.value, ...server.flags.flatMap((f) => [f, PLACEHOLDERS[f]])]
  const takes = server.flags.length ? `${server.value} takes ${server.flags.join(', ')}; mlci fills in the {placeholders}.` : `${server.value} takes none of --model, --host, --port, --model-version.`
  const model = d.training.outputs.model
  const lines = [
    ...comment(`Deployment: ${server.from}, so each release runs as a background server on 127.0.0.1:${LOCAL_PORT}; if it does not get healthy, the previous version is started again.`),
    'local({',
    ...comment(takes, '  '),
    `  command: ${list(argv)},`,
  ]
  if (!server.flags.includes('--model')) {
    lines.push(...comment(`${server.value} has no --model flag, so it loads whatever model its own path holds, not the release being deployed: give it a --model flag and add '--model', '{model}' above.`, '  '))
  }
  if (model) lines.push(...comment(`The file a release serves as {model}: ${model.from}.`, '  '), `  artifact: ${q(model.value)},`)
  lines.push(`  port: ${LOCAL_PORT},`)
  if (!server.flags.includes('--port')) {
    lines.push(server.portEnv
      ? `  env: { PORT: '${LOCAL_PORT}' }, // ${server.value} reads PORT (it takes no --port flag)`
      : `  // ${server.value} takes no --port flag and reads no PORT variable: make it listen on ${LOCAL_PORT}, or set port to where it listens.`)
  }
  lines.push('}),')
  return { ...section, active: true, lines }
}

/** Never active: a Docker engine is a choice the user makes, so the block says how to switch. */
export function dockerSection(d: Detection): Section | undefined {
  const file = d.dockerfile
  if (!file || !releasable(d)) return undefined
  const image = d.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'model'
  return {
    name: 'docker', pkg: '@mlci/plugin-docker', active: false,
    lines: [
      ...comment('A Dockerfile exists: to deploy a container instead, replace local(…) above with the block below and uncomment the docker import (npm install --save-dev @mlci/plugin-docker). The image is built from the Dockerfile for each release, and the previous container is kept for an instant rollback.'),
      ...commentedOut([
        'docker({',
        `  image: ${q(image)}, // the folder's name; tagged ${image}:<version>`,
        `  port: ${file.port ?? 8080}, // the server's port inside the container, passed as env PORT${file.port ? ` (the Dockerfile EXPOSEs ${file.port})` : ''}`,
        "  health: { path: '/health' },",
        '}),',
      ]),
    ],
  }
}

export function monitorSection(d: Detection): Section | undefined {
  if (!releasable(d)) return undefined
  const section = { name: 'monitor', pkg: '@mlci/plugin-monitor' }
  const probe = d.probe
  if (!probe || !d.server!.predict) {
    const why = !probe ? 'no labelled probe or holdout CSV found (feature columns and a "label" column)' : `${d.server!.value} has no /predict route to send probe rows to`
    return {
      ...section, active: false,
      lines: [
        ...comment(`Live analysis after each deploy: ${why}. With one, uncomment with the monitor import above:`),
        ...commentedOut(["monitor({ metrics: [{ name: 'accuracy', probe: { csv: 'probe.csv', value: 'accuracy' }, successCondition: 'result >= 0.9' }] }),"]),
      ],
    }
  }
  const csv = `csv: ${q(probe.value)}${probe.label === 'label' ? '' : `, label: ${q(probe.label)}`}`
  // Only a score says something about accuracy on the probe rows (an rmse does not).
  const gated = d.training?.outputs.gateMetric
  const accuracy = gated?.direction === 'higher' ? gated.recorded : undefined
  return {
    ...section, active: true,
    lines: [
      ...comment(`Live analysis after each deploy: ${probe.from}, so its rows are sent to /predict 3 times, 5 s apart. A failed analysis rolls the release back.`),
      'monitor({',
      "  initialDelay: '1s', interval: '5s', count: 3,",
      '  metrics: [',
      `    { name: 'error_rate', probe: { ${csv}, value: 'error_rate' }, successCondition: 'result < 0.05' },`,
      ...comment(`Accuracy on the probe rows: set the lowest live accuracy you accept${accuracy === undefined ? '' : ` (training measured ${accuracy})`}, then uncomment.`, '    '),
      `    // { name: 'accuracy', probe: { ${csv}, value: 'accuracy' }, successCondition: 'result >= 0.9' },`,
      '  ],',
      '}),',
    ],
  }
}

export function rollbackSection(d: Detection): Section | undefined {
  if (!releasable(d)) return undefined
  return {
    name: 'rollback', pkg: '@mlci/plugin-rollback', active: true,
    lines: [...comment('A failed deploy or analysis puts the last good version back; `npx mlci rollback` does it by hand.'), 'rollback(),'],
  }
}
