import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('log redaction', () => {
  it.each([
    [{ agentKey: 'mwa_planted_secret' }],
    [{ params: { body: 'planted mail body', to: ['victim@example.com'], subject: 'planted subject' } }],
    [{ req: { headers: { authorization: 'Bearer mwa_planted_secret' } } }],
    [{ proposal: { body: 'planted mail body', jws: 'eyJplanted' } }],
    [{ result: { message: { body: 'planted mail body' } } }],
  ])('never writes planted secrets or mail content from %j', (fields) => {
    const { lines, stream } = capture();
    createLogger('info', stream).info(fields, 'event');
    const out = lines.join('');
    expect(out).toContain('[redacted]');
    for (const planted of [
      'mwa_planted_secret',
      'planted mail body',
      'victim@example.com',
      'planted subject',
      'eyJplanted',
    ]) {
      expect(out).not.toContain(planted);
    }
  });
});
