import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { envName, loadParams, planParams, trainedParams } from './params.js'

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

  it("an MLCI_PARAM_<NAME> in mlci's environment overrides that param in argv and env mode, typed like it, and the lineage says so", () => {
    const env = { MLCI_PARAM_EPOCHS: '1', MLCI_PARAM_EXTRA: 'on', PATH: '/bin' }
    expect(planParams({ values }, 'argv', '/p.json', '/proj', env).argv).toEqual(expect.arrayContaining(['--epochs', '1']))
    // A variable naming no param reaches the script in its environment, not as a flag it may not parse.
    expect(planParams({ values }, 'argv', '/p.json', '/proj', env).argv).not.toContain('--extra')
    expect(planParams({ values }, 'argv', '/p.json', '/proj', env).argv).not.toContain('10')
    expect(planParams({ values }, 'env', '/p.json', '/proj', env).env).toMatchObject({ MLCI_PARAM_EPOCHS: '1', MLCI_PARAM_LEARNING_RATE: '0.05' })
    // file mode: the file is passed as it is; the variable reaches the script beside it.
    expect(planParams({ values, file: '/proj/p.json' }, 'file', '/x.json', '/proj', env)).toEqual({ argv: ['--params', 'p.json'], env: {} })
    const trained = trainedParams({ values, file: '/proj/params.json' }, env, '/proj')!
    expect(trained.values).toMatchObject({ epochs: 1, learning_rate: 0.05, extra: 'on' })
    expect(trained.sources).toMatchObject({ epochs: 'env MLCI_PARAM_EPOCHS', learning_rate: 'params.json', extra: 'env MLCI_PARAM_EXTRA' })
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
