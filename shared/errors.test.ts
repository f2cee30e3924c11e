import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssue, httpStatusOf, PROPOSAL_HTTP_STATUSES, submissionHttpStatus } from './errors.ts';
import { ProposalStatusSchema } from './wire.ts';

describe('the error vocabulary', () => {
  it('answers every proposal status with an HTTP status its clients accept', () => {
    for (const status of ProposalStatusSchema.options) {
      for (const code of [undefined, 'GOG_TIMEOUT', 'GOG_FAILED']) {
        expect(PROPOSAL_HTTP_STATUSES[status]).toContain(submissionHttpStatus(status, code));
      }
      expect(PROPOSAL_HTTP_STATUSES[status]).toContain(200);
    }
  });

  it('maps known codes to their status and anything else to 500', () => {
    expect(httpStatusOf('INVALID_INPUT')).toBe(400);
    expect(httpStatusOf('STATE_BUSY')).toBe(503);
    expect(httpStatusOf('SOMETHING_NEW')).toBe(500);
  });

  it('words a schema issue as "field: what is wrong", naming unknown keys', () => {
    const schema = z.strictObject({ to: z.array(z.string().email('must be an address')) });
    const bad = schema.safeParse({ to: ['x'] });
    expect(bad.success || describeIssue(bad.error, { root: 'params' })).toEqual({
      field: 'params.to.0',
      message: 'params.to.0: must be an address',
    });
    const extra = schema.safeParse({ to: [], socketPath: '/tmp/x' });
    expect(
      extra.success || describeIssue(extra.error, { root: 'params', unknownKeysHint: 'see GET /v1/catalog' }),
    ).toEqual({
      field: 'params',
      message: 'params: unknown key(s) "socketPath"; remove them (see GET /v1/catalog)',
    });
    const body = z.strictObject({ a: z.string() }).safeParse({ a: 1 });
    expect(body.success || describeIssue(body.error).field).toBe('a');
  });
});
