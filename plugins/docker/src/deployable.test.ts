import { describe, expect, it } from 'vitest'
import { copySources } from './deployable.js'

describe('copySources: the context paths a Dockerfile copies', () => {
  it('reads COPY/ADD sources in shell and JSON form, across line continuations, skipping flags, stages and URLs', () => {
    const text = 'FROM x\n# COPY commented.txt /no\nCOPY --chown=1 a b \\\n  /app/\nCOPY --from=build /x /y\nADD https://e/x /z\nCOPY ["s p.py", "/q"]\nadd ./ /all\n'
    expect(copySources(text)).toEqual(['a', 'b', 's p.py', '.'])
  })

  it('the fixture: only the server and the model files', () => {
    expect(copySources('ARG BASE=x\nFROM ${BASE}\nCOPY serve.py /app/serve.py\nCOPY out/model.json /app/model.json\n')).toEqual(['serve.py', 'out/model.json'])
  })

  it('unknown when a source is a variable or a heredoc (then the whole context counts)', () => {
    expect(copySources('FROM x\nCOPY ${SRC} /app\n')).toBeUndefined()
    expect(copySources('FROM x\nCOPY <<EOF /app/x\nhi\nEOF\n')).toBeUndefined()
  })
})
