// A model-based test of the proposal life cycle (fast-check commands): nothing executes without a quorum over
// the identical hash, nothing executes twice, and every transition leaves evidence.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../shared/index.ts';
import { verifyEvidence } from '../sidecar/evidence/index.ts';
import { type Core, createCore, policyWith } from './support/in-process.ts';

type Kind = 'read' | 'send' | 'trash';
interface ModelProposal {
  id: string;
  hash: string;
  kind: Kind;
  tag: string;
  status: string;
  approvers: Set<string>;
  createdAt: number;
}
interface Model {
  proposals: ModelProposal[];
  usedStatements: string[];
  crashNext: boolean;
}
interface Real {
  core: Core;
}

const QUORUM = 2;
const TTL = 60;

function paramsFor(kind: Kind, tag: string) {
  switch (kind) {
    case 'read':
      return { action: 'gmail.search', params: { query: tag } };
    case 'send':
      return { action: 'gmail.send', params: { to: ['sam@example.com'], subject: tag, body: 'hello' } };
    case 'trash':
      return { action: 'gmail.trash', params: { messageIds: [tag] } };
  }
}

function statusOf(r: Real, p: ModelProposal): string {
  return r.core.proposals.load(p.id)!.row.status;
}

class Propose implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const tag = `p${m.proposals.length}`;
    if (m.crashNext && this.kind === 'read') r.core.executor.crashNext = true;
    const rec = await r.core.proposals.submit('agent', paramsFor(this.kind, tag) as never);
    const expected =
      this.kind === 'read'
        ? m.crashNext
          ? 'outcome_unknown'
          : 'executed'
        : this.kind === 'send'
          ? 'pending_approval'
          : 'denied';
    if (this.kind === 'read') m.crashNext = false;
    m.proposals.push({
      id: rec.row.id,
      hash: rec.row.hash,
      kind: this.kind,
      tag,
      status: expected,
      approvers: new Set(),
      createdAt: r.core.clock.now.getTime(),
    });
    expect(rec.row.status).toBe(expected);
  }
  toString = () => `propose(${this.kind})`;
}

class Decide implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly approver: number,
    readonly variant: 'approve' | 'reject' | 'wrong_hash' | 'replay',
  ) {}
  check = (m: Readonly<Model>) => m.proposals.length > 0;
  async run(m: Model, r: Real) {
    const p = m.proposals[this.index % m.proposals.length]!;
    const approver = r.core.approvers[this.approver % r.core.approvers.length]!;
    let jws: string;
    if (this.variant === 'replay') {
      if (m.usedStatements.length === 0) return;
      jws = m.usedStatements[this.index % m.usedStatements.length]!;
    } else {
      const hash = this.variant === 'wrong_hash' ? sha256Digest(`not ${p.hash}`) : p.hash;
      jws = await r.core.sign(approver, p.id, hash, this.variant === 'reject' ? 'reject' : 'approve');
    }
    const accepted = p.status === 'pending_approval' && (this.variant === 'approve' || this.variant === 'reject');
    let threw = false;
    try {
      await r.core.approvals.decide(p.id, jws);
    } catch {
      threw = true;
    }
    expect(threw).toBe(!accepted);
    if (accepted) {
      m.usedStatements.push(jws);
      if (this.variant === 'reject') p.status = 'rejected';
      else {
        p.approvers.add(approver.id);
        if (p.approvers.size >= QUORUM) p.status = 'executed';
      }
    }
    expect(statusOf(r, p)).toBe(p.status);
  }
  toString = () => `decide(#${this.index}, approver-${this.approver}, ${this.variant})`;
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.proposals.length > 0;
  async run(m: Model, r: Real) {
    const p = m.proposals[this.index % m.proposals.length]!;
    const pending = p.status === 'pending_approval';
    await (pending
      ? expect(r.core.proposals.cancel('agent', p.id)).resolves.toBeDefined()
      : expect(r.core.proposals.cancel('agent', p.id)).rejects.toThrow());
    if (pending) p.status = 'cancelled';
    expect(statusOf(r, p)).toBe(p.status);
  }
  toString = () => `cancel(#${this.index})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.core.clock.now = new Date(r.core.clock.now.getTime() + this.seconds * 1000);
    await r.core.proposals.expireDue();
    for (const p of m.proposals) {
      if (p.status === 'pending_approval' && r.core.clock.now.getTime() >= p.createdAt + TTL * 1000)
        p.status = 'expired';
      expect(statusOf(r, p)).toBe(p.status);
    }
  }
  toString = () => `advance(${this.seconds}s)`;
}

class ExecuteByHand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.proposals.length > 0;
  async run(m: Model, r: Real) {
    const p = m.proposals[this.index % m.proposals.length]!;
    const before = r.core.executor.runs.length;
    await r.core.proposals.execute(p.id);
    expect(r.core.executor.runs.length).toBe(before);
    expect(statusOf(r, p)).toBe(p.status);
  }
  toString = () => `execute(#${this.index})`;
}

class CrashNextExecution implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    m.crashNext = true;
    // A restart right now finds nothing mid-execution: recovery must not touch finished proposals.
    expect(await r.core.proposals.recoverAfterCrash()).toEqual([]);
  }
  toString = () => 'crashNextRead';
}

describe('proposal life cycle model', () => {
  it('holds its invariants over random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.commands(
          [
            fc.constantFrom<Kind>('read', 'send', 'send', 'trash').map((k) => new Propose(k)),
            fc
              .tuple(
                fc.nat(),
                fc.nat(),
                fc.constantFrom('approve', 'approve', 'reject', 'wrong_hash', 'replay') as fc.Arbitrary<
                  Decide['variant']
                >,
              )
              .map(([i, a, v]) => new Decide(i, a, v)),
            fc.nat().map((i) => new Cancel(i)),
            fc.integer({ min: 1, max: 90 }).map((s) => new Advance(s)),
            fc.nat().map((i) => new ExecuteByHand(i)),
            fc.constant(new CrashNextExecution()),
          ],
          { maxCommands: 25 },
        ),
        async (cmds) => {
          const core = await createCore({
            policyYaml: policyWith({
              approvals: { quorum: { write: QUORUM }, ttlSeconds: TTL },
              lockdown: { denialThreshold: 0 },
            }),
            approverCount: 3,
          });
          const model: Model = { proposals: [], usedStatements: [], crashNext: false };
          try {
            await fc.asyncModelRun(() => ({ model, real: { core } }), cmds);
            // Nothing ran twice, and only what the model says ran did run.
            const ran = core.executor.runs.map((run) => JSON.stringify(run.params));
            expect(new Set(ran).size).toBe(ran.length);
            for (const p of model.proposals) {
              const times = ran.filter((x) => x.includes(`"${p.tag}"`)).length;
              const expected = p.status === 'executed' || (p.status === 'outcome_unknown' && p.kind === 'read') ? 1 : 0;
              expect(times, `${p.kind} ${p.tag} ${p.status}`).toBe(expected);
              if (p.kind === 'send' && p.status === 'executed') expect(p.approvers.size).toBeGreaterThanOrEqual(QUORUM);
            }
            await core.evidence.close();
            const report = await verifyEvidence({
              dir: join(core.dir, 'evidence'),
              publicKey: core.evidencePublicKey,
              approverKeys: new Map(core.approvers.map((a) => [a.id, a.publicKey])),
            });
            expect(report.verdict).toBe('intact');
            for (const p of model.proposals) {
              const trail = await verifyEvidence({
                dir: join(core.dir, 'evidence'),
                publicKey: core.evidencePublicKey,
                proposalId: p.id,
              });
              const types = trail.verdict === 'intact' ? (trail.proposal?.records.map((x) => x.type) ?? []) : [];
              expect(types[0]).toBe('proposal_submitted');
              const needs: Record<string, string[]> = {
                executed: ['execution_started', 'execution_finished'],
                rejected: ['proposal_rejected'],
                cancelled: ['proposal_cancelled'],
                expired: ['proposal_expired'],
                outcome_unknown: ['execution_started', 'outcome_unknown'],
              };
              for (const t of needs[p.status] ?? []) expect(types, `${p.status} needs ${t}`).toContain(t);
            }
          } finally {
            await core.close();
          }
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
