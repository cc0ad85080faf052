import { describe, expect, it } from 'vitest'
import { MlciError, exitCodeFor } from '@mlci/core'
import { renderDockerfile } from './dockerfile.js'
import { imageRepository, imageTag } from './image-tag.js'
import dockerPlugin from './index.js'
import { resolveDockerOptions, validateDockerOptions } from './options.js'

describe('image tags', () => {
  it('maps semver build metadata and invalid characters to a valid, one-to-one tag', () => {
    expect(imageTag('1.2.0')).toBe('1.2.0')
    expect(imageTag('1.2.0-rc.1+build.7')).toBe('1.2.0-rc.1_build.7')
    expect(imageTag('-odd/name')).toBe('_-odd-name')
    expect(imageTag('x'.repeat(200))).toHaveLength(128)
  })

  it('prefixes the registry host once', () => {
    expect(imageRepository('acme/clf')).toBe('acme/clf')
    expect(imageRepository('acme/clf', '127.0.0.1:5000')).toBe('127.0.0.1:5000/acme/clf')
    expect(imageRepository('acme/clf', 'https://ghcr.io/')).toBe('ghcr.io/acme/clf')
    expect(imageRepository('ghcr.io/acme/clf', 'ghcr.io')).toBe('ghcr.io/acme/clf')
  })
})

describe('options', () => {
  const invalid = (raw: unknown) => {
    try {
      dockerPlugin(raw as never)
    } catch (error) {
      expect(MlciError.is(error)).toBe(true)
      expect(exitCodeFor(error)).toBe(2) // a config error, before anything runs
      return (error as MlciError).message
    }
    throw new Error('expected the options to be rejected')
  }

  it('rejects bad values at config time, naming the key', () => {
    expect(invalid({ image: 'Acme/Clf:1.0' })).toMatch(/\.image "Acme\/Clf:1\.0" is not a valid image repository/)
    expect(invalid({ ports: ['8080:8080'], network: 'host' })).toMatch(/\.ports cannot be used with network "host"/)
    expect(invalid({ ports: ['eighty'] })).toMatch(/\.ports entry "eighty"/)
    expect(invalid({ buildArgs: { API_TOKEN: 'x' } })).toMatch(/buildArgs\.API_TOKEN looks like a secret/)
    expect(invalid({ keepImages: 0 })).toMatch(/keepImages must be ≥ 1/)
    expect(invalid({ imagee: 'x' })).toMatch(/imagee is not a known option/)
    expect(invalid({ generate: { base: 'b', copy: ['m'] } })).toMatch(/generate\.cmd is required/)
  })

  it('command time bounds: durations as elsewhere in the config, > 0, defaults for each step', () => {
    expect(invalid({ timeouts: { push: 'soon' } })).toMatch(/timeouts\.push is invalid: timeouts\.push "soon" is not a duration/)
    expect(invalid({ timeouts: { pull: -5 } })).toMatch(/timeouts\.pull is invalid: .*non-negative/)
    expect(invalid({ timeouts: { login: 0 } })).toMatch(/timeouts\.login must be longer than 0/)
    expect(invalid({ timeouts: { upload: '1m' } })).toMatch(/timeouts\.upload is not a known option/)
    const o = resolveDockerOptions(validateDockerOptions('docker', { timeouts: { push: '90s', pull: 2500 } }), '/p')
    expect(o.stepTimeouts).toEqual({ build: 30 * 60_000, push: 90_000, pull: 2500, login: 60_000 })
  })

  it('defaults: container mlci-<name>, host network, health on the server port', () => {
    const o = resolveDockerOptions(validateDockerOptions('docker', { image: 'acme/classifier' }), '/work/x')
    expect(o).toMatchObject({ name: 'classifier', container: 'mlci-classifier', previousContainer: 'mlci-classifier-previous', network: 'host', port: 8080, keepImages: 3, healthUrl: 'http://127.0.0.1:8080/health' })
    expect(resolveDockerOptions({}, '/work/My Project').image).toBe('my-project')
  })

  it('with published ports: the default network, health through the host port', () => {
    const o = resolveDockerOptions(validateDockerOptions('docker', { ports: ['9000:8080'], health: { path: '/healthz' } }), '/p')
    expect(o.network).toBeUndefined()
    expect(o.healthUrl).toBe('http://127.0.0.1:9000/healthz')
  })

  it('knows the base image from generate or the BASE build arg', () => {
    expect(resolveDockerOptions({ buildArgs: { BASE: 'py:3' } }, '/p').baseImage).toBe('py:3')
    expect(resolveDockerOptions({ generate: { base: 'py:4', copy: [], cmd: ['x'] } }, '/p').baseImage).toBe('py:4')
    expect(resolveDockerOptions({}, '/p').baseImage).toBeUndefined()
  })
})

describe('generated Dockerfile', () => {
  it('copies each file under the workdir and uses an exec-form CMD', () => {
    const text = renderDockerfile({ base: 'mlci-python:bookworm', copy: ['serve.py', 'out/model.json', { from: 'cfg.yml', to: '/etc/cfg.yml' }], cmd: ['python3', 'serve.py'] })
    expect(text.split('\n')).toEqual([
      'FROM mlci-python:bookworm',
      'WORKDIR /app',
      'COPY ["serve.py","/app/serve.py"]',
      'COPY ["out/model.json","/app/out/model.json"]',
      'COPY ["cfg.yml","/etc/cfg.yml"]',
      'ENV PYTHONUNBUFFERED="1"',
      'CMD ["python3","serve.py"]',
      '',
    ])
  })
})
