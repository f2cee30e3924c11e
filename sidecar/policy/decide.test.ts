// The one decision, pure: the same policy, proposal and facts always give the same decision.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide, type Facts } from './decide.ts';
import { loadPolicy } from './load.ts';

const POLICIES = join(import.meta.dirname, '..', '..', 'policies');
const full = loadPolicy(join(POLICIES, 'full.yaml'));
const draftAssist = loadPolicy(join(POLICIES, 'draft_assist.yaml'));

const facts = (over: Partial<Facts> = {}): Facts => ({
  guarded: true,
  lockdown: { global: null, principal: null },
  internalDomains: ['example.com'],
  recipients: null,
  taint: { readExternal: false, readCodes: [] },
  capHeadroom: null,
  ...over,
});

const SEND = {
  action: 'gmail.send' as const,
  principal: 'agent',
  params: { to: ['sam@example.com'], subject: 'Dates', body: '3-4 Dec' },
};
const toSam = {
  recipients: ['sam@example.com'],
  derived: [{ address: 'sam@example.com', source: 'to' as const }],
  complete: true,
};
const toEvil = {
  recipients: ['evil@attacker.example'],
  derived: [{ address: 'evil@attacker.example', source: 'to' as const }],
  complete: true,
};

function decided(v: ReturnType<typeof decide>) {
  if (!v.ok) throw new Error(v.error);
  return v.decision;
}

describe('decide', () => {
  it('keeps the rules\u2019 effect when the facts raise nothing', () => {
    const d = decided(decide(full, SEND, facts({ recipients: toSam })));
    expect(d.effect).toBe('approve');
    expect(d.rules).toEqual(['outbound-with-approval']);
  });

  it('denies before looking at facts when the rules deny', () => {
    const d = decided(decide(draftAssist, SEND, facts({ unavailable: 'never consulted' })));
    expect(d.effect).toBe('deny');
    expect(d.rules).not.toContain('outbound.original_unavailable');
  });

  it('denies during a lockdown whatever else holds', () => {
    const d = decided(
      decide(full, SEND, facts({ lockdown: { global: { reason: 'incident' }, principal: null }, recipients: toSam })),
    );
    expect(d).toMatchObject({ effect: 'deny', rules: ['lockdown.global'] });
  });

  it('adds the exfiltration reason to an approval once the agent read outside mail', () => {
    const d = decided(decide(full, SEND, facts({ recipients: toEvil, taint: { readExternal: true, readCodes: [] } })));
    expect(d.effect).toBe('approve');
    expect(d.rules).toContain('exfiltration.external_after_untrusted_read');
    expect(d.message).toContain('evil@attacker.example');
  });

  it('denies what it cannot see: an unreadable original, a frozen draft, a full cap', () => {
    expect(decided(decide(full, SEND, facts({ unavailable: 'draft gone' }))).rules).toContain(
      'outbound.original_unavailable',
    );
    const frozen = { action: 'gmail.drafts.update' as const, principal: 'agent', params: { draftId: 'r1' } };
    expect(decided(decide(full, frozen, facts({ draftSendPending: 'p-1' }))).rules).toContain('drafts.send_pending');
    const capped = facts({
      recipients: toSam,
      capHeadroom: { ok: false, rule: 'caps.hourly', message: 'hourly send cap reached' },
    });
    expect(decided(decide(full, SEND, capped))).toMatchObject({
      effect: 'deny',
      rules: ['caps.hourly', 'outbound-with-approval'],
    });
  });

  it('judges only the rules without a guard (no mailbox owner configured)', () => {
    const d = decided(decide(full, SEND, facts({ guarded: false, unavailable: 'ignored' })));
    expect(d.effect).toBe('approve');
  });

  it('is pure: the same inputs give the same decision', () => {
    const f = facts({ recipients: toEvil, taint: { readExternal: true, readCodes: [] } });
    expect(decide(full, SEND, f)).toEqual(decide(full, SEND, f));
  });
});
