import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

describe('logger', () => {
  it('redacts passwords, tokens, cookies and authorization headers', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('info', sink as never);
    log.info(
      {
        password: 'hunter2hunter2',
        body: { password: 'x', token: 'vgl_abc' },
        req: { headers: { authorization: 'Bearer vgl_secret', cookie: 'vigil_session=s3cret' } },
      },
      'login',
    );
    const out = lines.join('');
    for (const secret of ['hunter2hunter2', 'vgl_abc', 'vgl_secret', 's3cret'])
      expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
    expect(JSON.parse(out)).toMatchObject({ msg: 'login', app: 'vigil' });
  });
});
