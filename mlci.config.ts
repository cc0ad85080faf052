// The demo pipeline: the whole model lifecycle on the bundled classifier (fixtures/classifier),
// with nothing external — pytest, numpy training, a semver registry under .mlci/, the model
// server as a local background process on 127.0.0.1:8731, a live analysis, and rollback.
//
//   npx mlci build                       # run it (a second run is a cached no-op)
//   MLCI_DEMO_DOCKER=1 npx mlci build    # deploy as a Docker container instead (needs an engine
//                                        # and the mlci-python:bookworm base image: bash .ci/services.sh)
import { defineConfig } from '@mlci/core'
import pytest from '@mlci/plugin-pytest'
import trainer from '@mlci/plugin-trainer'
import semver from '@mlci/plugin-semver'
import local from '@mlci/plugin-local'
import docker from '@mlci/plugin-docker'
import monitor from '@mlci/plugin-monitor'
import rollback from '@mlci/plugin-rollback'

const project = 'fixtures/classifier'
const useDocker = process.env.MLCI_DEMO_DOCKER === '1'

export default defineConfig({
  plugins: [
    // Paths below are relative to each plugin's cwd: the fixture project.
    pytest({ cwd: project, inputs: ['**/*.py', 'pytest.ini', 'params.json', '**/*.csv'] }),
    trainer({
      cwd: project,
      command: ['python3', 'train.py', '--out', 'out'],
      params: 'params.json',             // passed as --params; MLCI_PARAM_<NAME> env vars override one param
      inputs: ['train.py', 'params.json', 'data/train.csv'],
      outputs: ['out/model.json'],
      metrics: 'out/metrics.json',
      signature: 'out/signature.json',
    }),
    // Gate on accuracy (absolute floor, and no worse than the live model), then version.
    semver({ gate: { accuracy: { min: 0.9, maxDrop: 0.02 }, loss: { maxDrop: 0.05 } } }),
    useDocker
      ? docker({ image: 'mlci-demo/classifier', context: project, port: 8732, buildArgs: { BASE: 'mlci-python:bookworm' } })
      : local({ cwd: project, port: 8731 }),
    monitor({
      initialDelay: '200ms', interval: '300ms', count: 4,
      metrics: [
        { name: 'accuracy', probe: { csv: `${project}/probe.csv`, value: 'accuracy' }, successCondition: 'result >= 0.9' },
        { name: 'error_ratio', prometheus: 'increase(model_errors_total) / increase(model_requests_total{endpoint="/predict"})', successCondition: 'result < 0.05' },
        { name: 'p95_latency', prometheus: 'histogram_quantile(0.95, model_request_duration_seconds_bucket)', successCondition: 'result < 0.25' },
      ],
    }),
    rollback(),
  ],
})
