// Signed, bound, at-most-once approvals, exercised on the real core: SQLite file, evidence log, Ed25519.
import { createSecretKey } from 'node:crypto';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalize, sha256Digest } from '../shared/index.ts';
import { ApprovalError, newNonce, signStatement } from '../sidecar/approval/index.ts';
import { verifyEvidence } from '../sidecar/evidence/index.ts';
import { type Core, createCore, DENIED, policyWith, READ, SEND } from './support/in-process.ts';

let core: Core;
afterEach(async () => {
  await core?.close();
});

async function propose(c: Core, req: { action: string; params: Record<string, unknown> }, principal = 'agent-a') {
  return c.proposals.submit(principal, req as never);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApprovalError) return err.message;
    throw err;
  }
  throw new Error('expected the decision to be refused');
}

/** The proposal's trail, read back through the verifier as an auditor would. */
async function evidenceOf(c: Core, proposalId: string): Promise<string[]> {
  await c.evidence.close();
  const report = await verifyEvidence({ dir: join(c.dir, 'evidence'), publicKey: c.evidencePublicKey, proposalId });
  if (report.verdict !== 'intact') throw new Error(`evidence is ${report.verdict}`);
  return report.proposal?.records.map((r) => r.type) ?? [];
}

/** An approve-statement payload as the CLI builds it, for tests that sign it in unusual ways. */
function approvePayload(c: Core, proposalId: string, proposalHash: string, approver: string) {
  const iat = Math.floor(c.clock.now.getTime() / 1000);
  return { proposalId, proposalHash, approver, decision: 'approve', nonce: newNonce(), iat, exp: iat + 300 };
}

describe('signed approvals', () => {
  it('executes an approved send exactly once and leaves the whole trail in evidence', async () => {
    core = await createCore({ policyYaml: policyWith({}) });
    const rec = await propose(core, SEND);
    expect(rec.row.status).toBe('pending_approval');
    const jws = await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve');
    const out = await core.approvals.decide(rec.row.id, jws);
    expect(out.outcome).toBe('executed');
    expect(core.executor.runs).toHaveLength(1);
    expect(core.executor.runs[0]!.params).toEqual(SEND.params);
    const types = await evidenceOf(core, rec.row.id);
    expect(types).toEqual([
      'proposal_submitted',
      'approval_accepted',
      'proposal_approved',
      'execution_started',
      'execution_finished',
    ]);
    const report = await core.verify();
    expect(report.verdict).toBe('intact');
    if (report.verdict === 'intact') expect(report.approvals.verified).toBe(1);
  });

  it('refuses a replayed statement, even for a proposal still waiting for quorum', async () => {
    core = await createCore({ policyYaml: policyWith({ approvals: { quorum: { write: 2 } } }) });
    const rec = await propose(core, SEND);
    const jws = await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve');
    expect((await core.approvals.decide(rec.row.id, jws)).outcome).toBe('approved_by_1_of_2');
    expect(await refusal(core.approvals.decide(rec.row.id, jws))).toMatch(/replay/);
    expect(core.executor.runs).toHaveLength(0);
  });

  it('needs distinct approvers for a quorum: the same approver twice counts once', async () => {
    core = await createCore({ policyYaml: policyWith({ approvals: { quorum: { write: 2 } } }) });
    const rec = await propose(core, SEND);
    const a0 = core.approvers[0]!;
    await core.approvals.decide(rec.row.id, await core.sign(a0, rec.row.id, rec.row.hash, 'approve'));
    expect(
      (await core.approvals.decide(rec.row.id, await core.sign(a0, rec.row.id, rec.row.hash, 'approve'))).outcome,
    ).toBe('approved_by_1_of_2');
    expect(core.executor.runs).toHaveLength(0);
    const out = await core.approvals.decide(
      rec.row.id,
      await core.sign(core.approvers[1]!, rec.row.id, rec.row.hash, 'approve'),
    );
    expect(out.outcome).toBe('executed');
    expect(core.executor.runs).toHaveLength(1);
  });

  it.each([
    [
      'a wrong hash',
      async (c: Core, id: string) => c.sign(c.approvers[0]!, id, sha256Digest('something else'), 'approve'),
      /not the hash/,
    ],
    [
      'another proposal id',
      async (c: Core, _id: string, hash: string) => c.sign(c.approvers[0]!, 'other-id', hash, 'approve'),
      /signed for proposal other-id/,
    ],
    [
      'an expired statement',
      async (c: Core, id: string, hash: string) => {
        const iat = Math.floor(c.clock.now.getTime() / 1000) - 3600;
        return c.sign(c.approvers[0]!, id, hash, 'approve', { iat, exp: iat + 300 });
      },
      /expired/,
    ],
    [
      'a statement from the future',
      async (c: Core, id: string, hash: string) => {
        const iat = Math.floor(c.clock.now.getTime() / 1000) + 3600;
        return c.sign(c.approvers[0]!, id, hash, 'approve', { iat, exp: iat + 300 });
      },
      /future/,
    ],
    [
      'a statement valid for too long',
      async (c: Core, id: string, hash: string) => {
        const iat = Math.floor(c.clock.now.getTime() / 1000);
        return c.sign(c.approvers[0]!, id, hash, 'approve', { iat, exp: iat + 7 * 24 * 3600 });
      },
      /24 hours/,
    ],
    [
      'an unknown approver',
      async (c: Core, id: string, hash: string) => {
        const payload = approvePayload(c, id, hash, 'mallory');
        return signStatement(payload, c.approvers[0]!.key, 'EdDSA');
      },
      /not configured/,
    ],
    [
      "a signature by another approver's key",
      async (c: Core, id: string, hash: string) => {
        const payload = approvePayload(c, id, hash, 'approver-0');
        return signStatement(payload, c.approvers[1]!.key, 'EdDSA');
      },
      /does not verify/,
    ],
    [
      "HS256 keyed with the approver's public key (algorithm confusion)",
      async (c: Core, id: string, hash: string) => {
        const payload = approvePayload(c, id, hash, 'approver-0');
        const secret = createSecretKey(Buffer.from(c.approvers[0]!.publicKey.export({ type: 'spki', format: 'pem' })));
        return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
          .setProtectedHeader({ alg: 'HS256' })
          .sign(secret);
      },
      /only EdDSA/,
    ],
    ['garbage', async () => 'not.a.jws', /not a compact JWS|could not be verified/],
  ])('refuses %s and records the refusal', async (_label, make, pattern) => {
    core = await createCore({ policyYaml: policyWith({}) });
    const rec = await propose(core, SEND);
    const jws = await make(core, rec.row.id, rec.row.hash);
    expect(await refusal(core.approvals.decide(rec.row.id, jws))).toMatch(pattern);
    expect(core.executor.runs).toHaveLength(0);
    expect(core.proposals.load(rec.row.id)!.row.status).toBe('pending_approval');
    expect(await evidenceOf(core, rec.row.id)).toContain('approval_refused');
  });

  it('makes a rejection final', async () => {
    core = await createCore({ policyYaml: policyWith({}) });
    const rec = await propose(core, SEND);
    expect(
      (await core.approvals.decide(rec.row.id, await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'reject')))
        .outcome,
    ).toBe('rejected');
    expect(
      await refusal(
        core.approvals.decide(rec.row.id, await core.sign(core.approvers[1]!, rec.row.id, rec.row.hash, 'approve')),
      ),
    ).toMatch(/rejected/);
    expect(core.executor.runs).toHaveLength(0);
  });

  it('lets the agent cancel its own pending proposal, and nobody else', async () => {
    core = await createCore({ policyYaml: policyWith({}) });
    const rec = await propose(core, SEND, 'agent-a');
    await expect(core.proposals.cancel('agent-b', rec.row.id)).rejects.toThrow(/no proposal/);
    expect((await core.proposals.cancel('agent-a', rec.row.id)).row.status).toBe('cancelled');
    expect(
      await refusal(
        core.approvals.decide(rec.row.id, await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve')),
      ),
    ).toMatch(/cancelled/);
    expect(core.executor.runs).toHaveLength(0);
  });

  it('expires a pending proposal after its TTL', async () => {
    core = await createCore({ policyYaml: policyWith({ approvals: { ttlSeconds: 60 } }) });
    const rec = await propose(core, SEND);
    core.clock.now = new Date(core.clock.now.getTime() + 61_000);
    expect(await core.proposals.expireDue()).toBe(1);
    expect(core.proposals.load(rec.row.id)!.row.status).toBe('expired');
    expect(
      await refusal(
        core.approvals.decide(rec.row.id, await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve')),
      ),
    ).toMatch(/expired/);
    expect(core.executor.runs).toHaveLength(0);
  });

  it('executes once under 50 parallel approvals and 50 parallel execution attempts', async () => {
    core = await createCore({ policyYaml: policyWith({}) });
    core.executor.delayMs = 20;
    const rec = await propose(core, SEND);
    const statements = await Promise.all(
      Array.from({ length: 50 }, (_, i) => core.sign(core.approvers[i % 2]!, rec.row.id, rec.row.hash, 'approve')),
    );
    const results = await Promise.allSettled([
      ...statements.map((jws) => core.approvals.decide(rec.row.id, jws)),
      ...Array.from({ length: 50 }, () => core.proposals.execute(rec.row.id)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(50);
    expect(core.executor.runs).toHaveLength(1);
    expect(core.proposals.load(rec.row.id)!.row.status).toBe('executed');
  });
});

describe('execution binding', () => {
  it('never executes recipients a state-database writer swapped in after approval', async () => {
    core = await createCore({ policyYaml: policyWith({ approvals: { quorum: { write: 2 } } }) });
    const rec = await propose(core, SEND);
    await core.approvals.decide(rec.row.id, await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve'));
    // The attacker rewrites the stored proposal and its hash consistently, then marks it approved.
    const stored = JSON.parse(rec.row.canonical) as { params: { to: string[] } };
    stored.params.to = ['attacker@evil.example'];
    const canonical = canonicalize(stored);
    core.db
      .prepare("UPDATE proposals SET canonical = ?, hash = ?, status = 'approved' WHERE id = ?")
      .run(canonical, sha256Digest(canonical), rec.row.id);
    await core.proposals.execute(rec.row.id);
    expect(core.executor.runs).toHaveLength(0);
    const after = core.proposals.load(rec.row.id)!.row;
    expect(after.status).toBe('failed');
    expect(after.error).toMatch(/STATE_TAMPERED/);
  });

  it('never executes a proposal whose decision was rewritten to allow without approvals', async () => {
    core = await createCore({ policyYaml: policyWith({}) });
    const rec = await propose(core, SEND);
    core.db
      .prepare(
        "UPDATE proposals SET status = 'approved', decision = json_set(decision, '$.effect', 'allow') WHERE id = ?",
      )
      .run(rec.row.id);
    await core.proposals.execute(rec.row.id);
    expect(core.executor.runs).toHaveLength(0);
    expect(core.proposals.load(rec.row.id)!.row.status).toBe('failed');
  });

  it('never executes stored bytes that no longer match the hash', async () => {
    core = await createCore({ policyYaml: policyWith({}) });
    const rec = await propose(core, SEND);
    const jws = await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve');
    core.db
      .prepare('UPDATE proposals SET canonical = replace(canonical, ?, ?) WHERE id = ?')
      .run('sam@example.com', 'eve@evil.example', rec.row.id);
    await core.approvals.decide(rec.row.id, jws);
    expect(core.executor.runs).toHaveLength(0);
    expect(core.proposals.load(rec.row.id)!.row.status).toBe('failed');
  });

  it('turns a claim interrupted by a crash into outcome_unknown and never runs it again', async () => {
    core = await createCore({ policyYaml: policyWith({}) });
    const rec = await propose(core, READ);
    expect(rec.row.status).toBe('executed');
    const pending = await propose(core, SEND);
    core.db.prepare("UPDATE proposals SET status = 'approved' WHERE id = ?").run(pending.row.id);
    // As if the sidecar died right after claiming it: the row as the claim leaves it.
    const claimed = core.db
      .prepare("UPDATE proposals SET exec_state = 'claimed', claimed_at = ? WHERE id = ? AND exec_state = 'none'")
      .run(new Date().toISOString(), pending.row.id);
    expect(claimed.changes).toBe(1);
    const runsBefore = core.executor.runs.length;
    expect(await core.proposals.recoverAfterCrash()).toEqual([pending.row.id]);
    await core.proposals.execute(pending.row.id);
    expect(core.executor.runs.length).toBe(runsBefore);
    expect(core.proposals.load(pending.row.id)!.row.status).toBe('outcome_unknown');
  });
});

describe('restart after approval', () => {
  it('runs an approved proposal that never started exactly once, and only inside its window', async () => {
    core = await createCore({ policyYaml: policyWith({ approvals: { executionWindowSeconds: 60 } }) });
    const inWindow = await propose(core, SEND);
    const late = await propose(core, SEND);
    // As if the sidecar stopped right after recording the approval, before execution began.
    for (const rec of [inWindow, late]) {
      const jws = await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve');
      core.db
        .prepare("INSERT INTO approvals (proposal_id, approver, decision, jws, at) VALUES (?, ?, 'approve', ?, ?)")
        .run(rec.row.id, core.approvers[0]!.id, jws, core.clock.now.toISOString());
      const windowEnd =
        rec === late ? core.clock.now.toISOString() : new Date(core.clock.now.getTime() + 60_000).toISOString();
      core.db
        .prepare("UPDATE proposals SET status = 'approved', updated_at = ?, expires_at = ? WHERE id = ?")
        .run(core.clock.now.toISOString(), windowEnd, rec.row.id);
    }
    expect(await core.proposals.resumeApproved()).toEqual([inWindow.row.id]);
    expect(await core.proposals.resumeApproved()).toEqual([]);
    expect(core.executor.runs).toHaveLength(1);
    expect(core.proposals.load(inWindow.row.id)!.row.status).toBe('executed');
    await core.proposals.expireDue();
    expect(core.proposals.load(late.row.id)!.row.status).toBe('expired');
  });
});

describe('lockdown', () => {
  it('locks a principal after repeated denials, leaves others alone, and lifts on a signed statement', async () => {
    core = await createCore({
      policyYaml: policyWith({ lockdown: { denialThreshold: 3, windowSeconds: 60, scope: 'principal' } }),
    });
    for (let i = 0; i < 3; i++) expect((await propose(core, DENIED, 'noisy')).row.status).toBe('denied');
    const locked = await propose(core, READ, 'noisy');
    expect(locked.row.status).toBe('denied');
    expect(locked.decision.rules).toEqual(['lockdown.principal']);
    expect((await propose(core, READ, 'quiet')).row.status).toBe('executed');

    const iat = Math.floor(core.clock.now.getTime() / 1000);
    const jws = await signStatement(
      {
        lockdown: false,
        scope: 'principal:noisy',
        reason: 'reviewed',
        approver: 'approver-0',
        nonce: newNonce(),
        iat,
        exp: iat + 300,
      },
      core.approvers[0]!.key,
      'EdDSA',
    );
    expect(await core.approvals.lockdown(jws)).toEqual({ lockdown: false, scope: 'principal:noisy' });
    expect((await propose(core, READ, 'noisy')).row.status).toBe('executed');
    await expect(core.approvals.lockdown(jws)).rejects.toThrow(/replay/);
  });

  it('turns a global lockdown on by signed statement, and lets reads through only when policy says so', async () => {
    core = await createCore({ policyYaml: policyWith({ lockdown: { allowReads: true } }) });
    const iat = Math.floor(core.clock.now.getTime() / 1000);
    const jws = await signStatement(
      { lockdown: true, reason: 'incident', approver: 'approver-1', nonce: newNonce(), iat, exp: iat + 300 },
      core.approvers[1]!.key,
      'EdDSA',
    );
    await core.approvals.lockdown(jws);
    expect((await propose(core, READ)).row.status).toBe('executed');
    const send = await propose(core, SEND);
    expect(send.row.status).toBe('denied');
    expect(send.decision.rules).toEqual(['lockdown.global']);
  });
});
