// Conformance through the whole product: agent socket → `mailwarden serve` (policy full, approvals by the
// operator CLI) → the real gog → the Google API emulator, each action checked on the emulator's mailbox.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../fixtures/google-emulator/server.mjs';
import { startEmulator } from '../fixtures/google-emulator/server.mjs';
import type { ActionName } from '../shared/index.ts';
import { SCENARIOS, type ScenarioContext } from './support/conformance-scenarios.ts';
import { conformanceMailbox, writeGogWrapper } from './support/gog-backends.ts';
import { call } from './support/http.ts';
import { requireRealGog } from './support/real-gog.ts';
import { mailwarden, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

const real = requireRealGog('gog conformance through serve');

/** The sidecar marks outside text in results; the checks compare the text inside the marks. */
function unwrap(v: unknown): unknown {
  if (typeof v === 'string') {
    const m =
      /^<<<EXTERNAL_UNTRUSTED_CONTENT id="[^"]*">>>\n(?:[^\n]*\n)*?---\n([\s\S]*)\n<<<END_EXTERNAL_UNTRUSTED_CONTENT id="[^"]*">>>$/.exec(
        v,
      );
    return m ? m[1] : v;
  }
  if (Array.isArray(v)) return v.map(unwrap);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  return v;
}

interface Proposal {
  id: string;
  status: string;
  result?: unknown;
  error?: { code: string; message: string };
}

describe.skipIf(!real).sequential('every action through mailwarden serve and the real gog', () => {
  let emulator: Emulator;
  let s: TestSidecar;
  const results: Partial<Record<ActionName, unknown>> = {};
  const ctx: ScenarioContext = { results };

  beforeAll(async () => {
    // The sidecar shows only events from now to policy calendar.futureDays ahead: move the fixture events there.
    const box = conformanceMailbox();
    const shift = Date.now() - Date.parse('2026-11-19T00:00:00Z');
    const moved = (t: string) => (/^\d{4}-\d{2}-\d{2}$/.test(t) ? t : new Date(Date.parse(t) + shift).toISOString());
    box.events = box.events.map((e) => ({ ...e, start: moved(e.start), end: moved(e.end) }));
    emulator = await startEmulator({ mailbox: box });
    s = await startTestSidecar({
      profile: 'full',
      prepare: (dir) => {
        const wrapper = writeGogWrapper(dir, real!.binary, emulator.env);
        const file = join(dir, 'mailwarden.yaml');
        const text = readFileSync(file, 'utf8')
          .replace(/^ {2}backend: .*$/m, '  backend: gog')
          .replace(/^ {2}binary: .*$/m, `  binary: ${wrapper}`);
        writeFileSync(file, text);
        // The owner's calendar by its address too (the scenarios name it so), next to primary.
        const policyFile = join(dir, 'policy.yaml');
        writeFileSync(
          policyFile,
          readFileSync(policyFile, 'utf8').replace(
            /^calendar:\n/m,
            'calendar:\n  calendars: [primary, owner@example.com]\n',
          ),
        );
      },
    });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
    await emulator?.close();
  });

  async function propose(action: ActionName, params: unknown): Promise<Proposal> {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', { key: s.agentKey, body: { action, params } });
    let p = (r.json as { proposal?: Proposal; error?: { code: string; message: string } }).proposal;
    if (!p) throw new Error(`${action}: ${r.status} ${r.text.slice(0, 400)}`);
    if (p.status === 'pending_approval') {
      const approve = await mailwarden(['approve', p.id, '--yes', '--config', s.configPath]);
      if (approve.code !== 0) throw new Error(`approve ${action}: ${approve.stderr || approve.stdout}`);
      const got = await call(s.agentSocket, 'GET', `/v1/proposals/${p.id}?wait=20`, { key: s.agentKey });
      p = (got.json as { proposal: Proposal }).proposal;
    }
    return p;
  }

  for (const [i, scenario] of SCENARIOS.entries()) {
    it(`${i + 1}. ${scenario.action}`, async () => {
      const before = emulator.mailbox();
      // calendar.events: the policy's own window (now + futureDays) instead of the fixture dates.
      const params = scenario.action === 'calendar.events' ? {} : scenario.params(ctx);
      const p = await propose(scenario.action, params);
      if (p.status !== 'executed')
        throw new Error(`${scenario.action}: ${p.status} ${JSON.stringify(p).slice(0, 600)}`);
      const after = emulator.mailbox();
      const result = unwrap(p.result);
      scenario.check(result, before, after, ctx);
      results[scenario.action] = result;
      expect(p.status).toBe('executed');
    });
  }
});
