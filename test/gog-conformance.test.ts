// Conformance: every catalogue action through mailwarden's gog executor, against the real gog talking to the
// Google API emulator and against the fake gog, each checked on the mailbox it leaves behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionName } from '../shared/index.ts';
import { ACTION_NAMES } from '../shared/index.ts';
import { createGogExecutor } from '../sidecar/exec/index.ts';
import { SCENARIOS, type ScenarioContext } from './support/conformance-scenarios.ts';
import { type Backend, conformanceMailbox, fakeBackend, realBackend } from './support/gog-backends.ts';
import { requireRealGog } from './support/real-gog.ts';

const real = requireRealGog('gog conformance');

it('the scenarios cover every catalogue action', () => {
  expect(new Set(SCENARIOS.map((s) => s.action))).toEqual(new Set(ACTION_NAMES));
});

function suite(name: 'real' | 'fake', make: () => Promise<Backend>) {
  describe.skipIf(name === 'real' && !real).sequential(`conformance against the ${name} gog`, () => {
    let backend: Backend;
    const results: Partial<Record<ActionName, unknown>> = {};
    const ctx: ScenarioContext = { results };
    beforeAll(async () => {
      backend = await make();
    });
    afterAll(async () => {
      await backend?.close();
    });
    for (const [i, scenario] of SCENARIOS.entries()) {
      it(`${i + 1}. ${scenario.action}`, async () => {
        const executor = createGogExecutor(backend.cfg);
        const before = backend.mailbox();
        const outcome = await executor.execute(scenario.action, scenario.params(ctx));
        if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
        const after = backend.mailbox();
        scenario.check(outcome.result, before, after, ctx);
        results[scenario.action] = outcome.result;
      });
    }
  });
}

suite('real', () => realBackend(real!.binary, conformanceMailbox()));
suite('fake', () => fakeBackend(conformanceMailbox()));
