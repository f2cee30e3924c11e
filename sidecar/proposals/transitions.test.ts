import { describe, expect, it } from 'vitest';
import { FINAL_STATUSES, ProposalStatusSchema } from '../../shared/index.ts';
import { INITIAL_STATUSES, SETTLE_BY_STATUS, TRANSITIONS } from './transitions.ts';

const specs = Object.entries(TRANSITIONS);

describe('the transition table', () => {
  it('never leaves a final status', () => {
    for (const [name, t] of specs) {
      for (const from of t.from) expect(FINAL_STATUSES.has(from), `${name} leaves ${from}`).toBe(false);
    }
  });

  it('reaches every status from a status a proposal is created in', () => {
    const reached = new Set<string>(INITIAL_STATUSES);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [, t] of specs) {
        if (t.from.some((f) => reached.has(f)) && !reached.has(t.to)) {
          reached.add(t.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...ProposalStatusSchema.options].sort());
  });

  it('lets only a claimed proposal end as executed, failed or outcome unknown, and settles its execution', () => {
    for (const name of Object.values(SETTLE_BY_STATUS)) {
      const t = TRANSITIONS[name];
      expect(t.fromExec).toEqual(['claimed']);
      expect(t.toExec).toBe('done');
    }
    for (const [name, t] of specs) {
      if (t.to === 'executed') expect(name).toBe('executed');
    }
  });

  it('claims only approved, unclaimed proposals, durably, with its evidence after the claim', () => {
    expect(TRANSITIONS.claim).toMatchObject({ from: ['approved'], fromExec: ['none'], toExec: 'claimed' });
    expect(TRANSITIONS.claim.durable).toBe(true);
    expect(TRANSITIONS.claim.evidence).toBe('after');
  });

  it('needs evidence first for every change a person or agent asks for', () => {
    for (const name of ['cancel', 'reject', 'approve'] as const) expect(TRANSITIONS[name].evidence).toBe('before');
  });
});
