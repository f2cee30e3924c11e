// A bounded kill loop: the real sidecar is SIGKILLed at a random moment around submitting and executing a
// change, then started again, many times over one setup. Nothing may run twice, every acknowledged proposal
// must end in a state that agrees with what gog did, and the evidence must verify at the end.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http.ts';
import { mailwarden, readOutbox, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

/** Iterations per `npm test`; MW_KILL_ITERATIONS sets more. */
const ITERATIONS = Number(process.env.MW_KILL_ITERATIONS ?? 100);

describe('SIGKILL at random points around execution', () => {
  let s: TestSidecar;

  beforeAll(async () => {
    s = await startTestSidecar({ profile: 'draft_assist' });
    // gog takes a little while, so kills land before, during and after its side effect.
    writeFileSync(join(s.gogHome, 'fake-faults.json'), JSON.stringify({ sleepMs: 60 }));
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  it(`never runs a change twice over ${ITERATIONS} kills, and the evidence verifies`, async () => {
    const acknowledged: { id: string; subject: string }[] = [];
    let killedBeforeAnswer = 0;
    // Kills spread from the request's start to a little past its usual answer, so some land before gog
    // runs, some while it runs, and some after the agent was answered (a fixed window would miss the last
    // kind on a machine where a change takes longer than the window).
    const t0 = performance.now();
    const probe = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.drafts.create', params: { to: ['sam@example.com'], subject: 'kill-probe', body: 'x' } },
    });
    expect(probe.status).toBe(200);
    const window = Math.ceil((performance.now() - t0) * 1.4);
    for (let i = 0; i < ITERATIONS; i++) {
      const subject = `kill-${i}`;
      const request = call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: { action: 'gmail.drafts.create', params: { to: ['sam@example.com'], subject, body: 'x' } },
      }).then(
        (r) => ({ ok: true as const, r }),
        () => ({ ok: false as const }),
      );
      await new Promise((res) => setTimeout(res, Math.floor(Math.random() * window)));
      await s.kill();
      const answer = await request;
      if (answer.ok && answer.r.status === 200) {
        acknowledged.push({ id: (answer.r.json as { proposal: { id: string } }).proposal.id, subject });
      } else killedBeforeAnswer++;
      s = await s.restart();
    }

    const created = readOutbox(s.gogHome).filter((o) => o.command === 'gmail.drafts.create');
    // At most once per request, whatever the moment of the kill.
    for (let i = 0; i < ITERATIONS; i++) {
      expect(created.filter((o) => o.argv.includes(`--subject=kill-${i}`)).length).toBeLessThanOrEqual(1);
    }
    // What the agent was told ran did run, exactly once, and still reads as executed.
    for (const a of acknowledged) {
      expect(created.filter((o) => o.argv.includes(`--subject=${a.subject}`))).toHaveLength(1);
      const r = await call(s.agentSocket, 'GET', `/v1/proposals/${a.id}`, { key: s.agentKey });
      expect((r.json as { proposal: { status: string } }).proposal.status).toBe('executed');
    }
    const verify = await mailwarden(['evidence', 'verify', '--json', '--config', s.configPath]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    console.log(
      `kill loop: ${ITERATIONS} kills within ${window} ms of the request, ${acknowledged.length} answered before the kill, ${killedBeforeAnswer} cut off, ${created.length} drafts created, evidence intact`,
    );
  }, 900_000);
});
