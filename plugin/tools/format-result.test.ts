import { describe, expect, it } from 'vitest';
import { formatClientFailure, formatToolResult } from './format-result.ts';

function proposal(status: string, extra: Record<string, unknown> = {}) {
  return {
    proposal: {
      id: 'prp_1',
      hash: `sha256:${'a'.repeat(64)}`,
      action: 'gmail.send',
      status,
      decision: { effect: 'approve', rules: ['outbound.external'], message: 'external recipient' },
      createdAt: '2026-11-22T10:00:00Z',
      correlationId: 'c-1',
      ...extra,
    },
  };
}

describe('formatToolResult', () => {
  it('gives the data of an executed proposal as JSON', () => {
    const r = formatToolResult(200, proposal('executed', { result: { messages: [{ id: 'm1' }] } }));
    expect(r.isError).toBe(false);
    expect(r.outcome).toBe('executed');
    expect(JSON.parse(r.text)).toEqual({
      status: 'executed',
      proposalId: 'prp_1',
      result: { messages: [{ id: 'm1' }] },
    });
  });

  it('tells the model to wait and how to check a pending proposal', () => {
    const r = formatToolResult(202, proposal('pending_approval', { expiresAt: '2026-11-23T10:00:00Z' }));
    expect(r.isError).toBe(false);
    expect(r.proposalId).toBe('prp_1');
    expect(r.text).toContain(
      "Waiting for the owner's approval (proposal prp_1). Check later with mail_proposal_status.",
    );
    expect(r.text).toContain('2026-11-23T10:00:00Z');
  });

  it('gives the reason and rule ids of a denial', () => {
    const body = proposal('denied', {
      decision: { effect: 'deny', rules: ['send.blocked', 'profile.draft_assist'], message: 'sending is off' },
    });
    const r = formatToolResult(403, body);
    expect(r.isError).toBe(true);
    expect(r.outcome).toBe('denied');
    expect(r.text).toContain('sending is off');
    expect(r.text).toContain('send.blocked, profile.draft_assist');
    expect(r.rules).toEqual(['send.blocked', 'profile.draft_assist']);
  });

  it.each([
    ['failed', 502, 'failed when carried out'],
    ['failed', 504, 'timed out'],
    ['rejected', 200, 'rejected'],
    ['expired', 200, 'expired'],
    ['cancelled', 200, 'cancelled'],
    ['outcome_unknown', 200, 'unknown'],
  ])('reads %s (HTTP %d) as not done', (status, http, phrase) => {
    const extra = status === 'failed' ? { error: { code: 'EXEC_FAILED', message: 'gog exited 1' } } : {};
    const r = formatToolResult(http, proposal(status, extra));
    expect(r.isError).toBe(true);
    expect(r.outcome).toBe(status);
    expect(r.text).toContain(phrase);
  });

  it.each([
    ['executed with HTTP 202', 202, proposal('executed')],
    ['executed with HTTP 403', 403, proposal('executed')],
    ['executed with HTTP 500', 500, proposal('executed')],
    ['pending with HTTP 403', 403, proposal('pending_approval')],
    ['unknown status', 200, proposal('done')],
    ['missing decision', 200, { proposal: { id: 'x', status: 'executed' } }],
    ['plain success flag', 200, { ok: true }],
    ['null', 200, null],
    ['a string', 200, 'executed'],
    ['an error body with HTTP 200', 200, { error: { code: 'x', message: 'y', correlationId: 'z' } }],
  ])('never reads an invalid answer as success: %s', (_name, http, body) => {
    const r = formatToolResult(http, body);
    expect(r.isError).toBe(true);
    expect(r.outcome).toBe('invalid_answer');
    expect(r.text).toContain('do not assume it succeeded');
  });

  it.each([
    [400, 'Fix the parameters'],
    [401, 'agent key was not accepted'],
    [404, 'does not exist'],
    [413, 'too large'],
    [429, 'wait'],
    [500, 'try again later'],
  ])('explains an error answer with HTTP %d', (http, advice) => {
    const r = formatToolResult(http, { error: { code: 'E_X', message: 'bad thing', correlationId: 'c-9' } });
    expect(r.isError).toBe(true);
    expect(r.outcome).toBe('rejected_request');
    expect(r.correlationId).toBe('c-9');
    expect(r.text).toContain('bad thing');
    expect(r.text).toContain(advice);
  });
});

describe('formatClientFailure', () => {
  it('says nothing was done when the sidecar is unreachable', () => {
    const r = formatClientFailure({ kind: 'unreachable', message: 'cannot reach the mailwarden sidecar' });
    expect(r).toMatchObject({ isError: true, outcome: 'unreachable' });
    expect(r.text).toContain('Nothing was done');
  });

  it('says the outcome is uncertain after a timeout', () => {
    const r = formatClientFailure({ kind: 'timeout', message: 'no answer within 60 s' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('may or may not have been received');
  });
});
