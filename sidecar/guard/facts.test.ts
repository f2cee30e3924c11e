// What the fact gatherer asks gog for. The executor here only counts calls: the gatherer's own logic is pure.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GogExecutor } from '../exec/index.ts';
import { loadPolicy } from '../policy/index.ts';
import type { StoredProposal } from '../proposals/index.ts';
import { createFactGatherer } from './facts.ts';

const POLICIES = join(import.meta.dirname, '..', '..', 'policies');

function gatherer(policyFile: string, locked = false) {
  const calls: string[] = [];
  const executor: GogExecutor = {
    async execute(action) {
      calls.push(action);
      return { ok: false, code: 'GOG_FAILED', message: 'not reachable here', info: {} } as never;
    },
    async readDraft() {
      calls.push('readDraft');
      return { ok: false, code: 'GOG_FAILED' } as never;
    },
  };
  const g = createFactGatherer({
    policy: loadPolicy(join(POLICIES, policyFile)),
    executor,
    owner: 'owner@example.com',
    internalDomains: ['example.com'],
    lockdown: () => ({ global: null, principal: locked ? { reason: 'test', since: 'now' } : null }) as never,
    taint: () => ({ readExternal: false, readCodes: [] }),
    capsFor: () => null,
    pendingDraftSend: () => null,
  });
  return { g, calls };
}

const proposal = (action: string, params: Record<string, unknown>) =>
  ({ v: 1, id: 'p1', principal: 'agent', correlationId: 'c', createdAt: 'now', action, params }) as StoredProposal;

describe('facts are gathered only where they can change the decision', () => {
  it('a forward the rules deny costs no gog read', async () => {
    const { g, calls } = gatherer('draft_assist.yaml');
    const got = await g.gather(proposal('gmail.forward', { messageId: 'm-1', to: ['eve@example.net'] }));
    expect(calls).toEqual([]);
    expect(got.facts.recipients).toBeNull();
  });

  it('a send the rules deny does not read the message it replies to', async () => {
    const { g, calls } = gatherer('draft_assist.yaml');
    await g.gather(
      proposal('gmail.send', { to: ['sam@example.com'], subject: 's', body: 'b', replyToMessageId: 'm-1' }),
    );
    expect(calls).toEqual([]);
  });

  it('a locked agent\u2019s proposals cost no gog read', async () => {
    const { g, calls } = gatherer('full.yaml', true);
    await g.gather(proposal('gmail.forward', { messageId: 'm-1', to: ['eve@example.net'] }));
    expect(calls).toEqual([]);
  });

  it('a forward the rules let through to approval reads the original it forwards', async () => {
    const { g, calls } = gatherer('full.yaml');
    const got = await g.gather(proposal('gmail.forward', { messageId: 'm-1', to: ['eve@example.net'] }));
    expect(calls).toEqual(['gmail.get']);
    expect(got.facts.unavailable).toMatch(/m-1 could not be read/);
  });
});
