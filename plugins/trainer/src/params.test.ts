import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { envName, loadParams, planParams } from './params.js'

const values = { learning_rate: 0.05, epochs: 10, features: ['a', 'b'], 'use-gpu': false, name: 'x y' }

describe('params', () => {
  it('argv mode passes --name value, lists as JSON', () => {
    expect(planParams({ values }, 'argv', '/p.json', '/proj').argv).toEqual([
      '--learning_rate', '0.05', '--epochs', '10', '--features', '["a","b"]', '--use-gpu', 'false', '--name', 'x y',
    ])
  })

  it('env mode sets MLCI_PARAM_<NAME>', () => {
    const plan = planParams({ values }, 'env', '/p.json', '/proj')
    expect(plan.argv).toEqual([])
    expect(plan.env).toMatchObject({ MLCI_PARAM_LEARNING_RATE: '0.05', MLCI_PARAM_USE_GPU: 'false', MLCI_PARAM_FEATURES: '["a","b"]' })
    expect(envName('lr.decay')).toBe('MLCI_PARAM_LR_DECAY')
  })

  it('file mode writes inline params to the params file, or passes a given file as it is', () => {
    const inline = planParams({ values }, 'file', '/proj/.mlci/train-params.json', '/proj')
    expect(inline.argv).toEqual(['--params', '.mlci/train-params.json'])
    expect(JSON.parse(inline.write!.content)).toEqual(values)
    const given = planParams({ values, file: '/proj/conf/params.yaml' }, 'file', '/proj/.mlci/x.json', '/proj')
    expect(given).toEqual({ argv: ['--params', 'conf/params.yaml'], env: {} })
  })

  it('loads a params file (JSON or YAML) and names a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlci-params-'))
    writeFileSync(join(dir, 'p.yaml'), 'epochs: 3\nseed: 1\n')
    writeFileSync(join(dir, 'list.json'), '[1]')
    expect(await loadParams('p.yaml', dir)).toEqual({ values: { epochs: 3, seed: 1 }, file: join(dir, 'p.yaml') })
    await expect(loadParams('list.json', dir)).rejects.toThrow('Params file list.json must hold an object')
    await expect(loadParams('nope.json', dir)).rejects.toThrow('Params file nope.json does not exist')
    expect(await loadParams(undefined, dir)).toEqual({})
  })
})
