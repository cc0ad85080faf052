import { describe, expect, it } from 'vitest'
import { parseProgress } from './progress.js'

describe('parseProgress', () => {
  it('reads the mlci protocol, with a fraction or a percentage and an optional label', () => {
    expect(parseProgress('mlci:progress 0.42')).toEqual({ fraction: 0.42 })
    expect(parseProgress('mlci:progress 1.00')).toEqual({ fraction: 1 })
    expect(parseProgress('mlci:progress 42% fitting fold 2')).toEqual({ fraction: 0.42, label: 'fitting fold 2' })
    expect(parseProgress('mlci:progress .5')).toEqual({ fraction: 0.5 })
  })

  it('reads JSON lines', () => {
    expect(parseProgress('{"progress": 0.25}')).toEqual({ fraction: 0.25 })
    expect(parseProgress('{"epoch": 3, "progress": 0.3, "label": "epoch 3"}')).toEqual({ fraction: 0.3, label: 'epoch 3' })
    expect(parseProgress('{"progress": "half"}')).toBeUndefined()
    expect(parseProgress('{"progress": 0.3')).toBeUndefined()
  })

  it('reads tqdm bars, with their description as label', () => {
    expect(parseProgress(' 42%|████▏     | 42/100 [00:01<00:02, 30.00it/s]')).toEqual({ fraction: 0.42 })
    expect(parseProgress('Epoch 3:  7%|▋         | 7/100 [00:00<00:05]')).toEqual({ fraction: 0.07, label: 'Epoch 3' })
    expect(parseProgress('100%|██████████| 100/100')).toEqual({ fraction: 1 })
  })

  it('ignores ordinary lines and out-of-range values', () => {
    expect(parseProgress('epoch 70/200 loss=0.3001')).toBeUndefined()
    expect(parseProgress('accuracy improved 5%')).toBeUndefined()
    expect(parseProgress('mlci:progress 1.5')).toBeUndefined()
    expect(parseProgress('mlci:progress -0.1')).toBeUndefined()
    expect(parseProgress('mlci:progress 150%')).toBeUndefined()
    expect(parseProgress('')).toBeUndefined()
  })
})
