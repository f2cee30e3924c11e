// An in-process sidecar core for life-cycle tests: real SQLite file, real evidence log, real signatures,
// and a counting executor in place of gog (the only stand-in: it records every side effect it performs).
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ActionName } from '../../shared/index.ts';
import { type Core as AppCore, createCore as createAppCore } from '../../sidecar/app/index.ts';
import {
  type ApproverKeyring,
  generateApproverKeyPair,
  newNonce,
  type PasskeyCredential,
  signStatement,
} from '../../sidecar/approval/index.ts';
import {
  type EvidenceLogHandle,
  generateEvidenceKeys,
  openEvidenceLog,
  verifyEvidence,
} from '../../sidecar/evidence/index.ts';
import type { DraftRead, GogExecutor, GogOutcome } from '../../sidecar/exec/types.ts';
import { GUARD_MIGRATIONS } from '../../sidecar/guard/index.ts';
import { loadPolicy } from '../../sidecar/policy/index.ts';
import { CORE_MIGRATIONS, openStateDb, type StateDb } from '../../sidecar/state/index.ts';

export class CountingExecutor implements GogExecutor {
  readonly runs: { action: ActionName; params: unknown }[] = [];
  delayMs = 0;
  fail = false;
  /** The next execution throws after starting, like a process dying mid-call. */
  crashNext = false;
  async execute(action: ActionName, params: unknown): Promise<GogOutcome> {
    this.runs.push({ action, params });
    if (this.crashNext) {
      this.crashNext = false;
      throw new Error('executor died mid-call');
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const info = {
      exitCode: this.fail ? 1 : 0,
      durationMs: 1,
      stdoutDigest: 'sha256:0',
      stderrDigest: 'sha256:0',
      attempts: 1,
    };
    if (this.fail) return { ok: false, code: 'GOG_FAILED', message: 'failed', info };
    return { ok: true, result: { messageId: `m-${this.runs.length}`, threadId: 't' }, info };
  }
  async readDraft(): Promise<DraftRead> {
    return { ok: false, code: 'GOG_NOT_FOUND', message: 'the counting executor holds no drafts' };
  }
}

export interface Approver {
  readonly id: string;
  readonly key: KeyObject;
  readonly publicKey: KeyObject;
}

export interface Core {
  readonly dir: string;
  readonly db: StateDb;
  readonly evidence: EvidenceLogHandle;
  readonly evidencePublicKey: KeyObject;
  readonly executor: CountingExecutor;
  readonly proposals: AppCore['proposals'];
  readonly approvals: AppCore['approvals'];
  readonly lockdown: AppCore['lockdown'];
  readonly approvers: readonly Approver[];
  readonly clock: { now: Date };
  sign(
    approver: Approver,
    proposalId: string,
    hash: string,
    decision: 'approve' | 'reject',
    opts?: { iat?: number; exp?: number; nonce?: string },
  ): Promise<string>;
  verify(): ReturnType<typeof verifyEvidence>;
  close(): Promise<void>;
}

export interface CoreOptions {
  /** Policy YAML text; defaults to the shipped `full` profile. */
  readonly policyYaml?: string;
  readonly approverCount?: number;
  /** A real gog executor (e.g. over the fake gog) instead of the counting one; with an owner, the guard runs. */
  readonly gog?: { readonly executor: GogExecutor; readonly owner: string };
  /** Passkeys enrolled besides the Ed25519 approvers, by approver id. */
  readonly passkeys?: ReadonlyMap<string, PasskeyCredential>;
}

export async function createCore(opts: CoreOptions = {}): Promise<Core> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-core-'));
  const policyFile = join(dir, 'policy.yaml');
  if (opts.policyYaml) writeFileSync(policyFile, opts.policyYaml);
  const policy = loadPolicy(
    opts.policyYaml ? policyFile : join(import.meta.dirname, '..', '..', 'policies', 'full.yaml'),
  );
  const clock = { now: new Date('2026-11-22T10:00:00Z') };
  const now = () => new Date(clock.now);
  const evKeys = generateEvidenceKeys();
  const signingKey = createPrivateKey(evKeys.privateKeyPem);
  const evidence = await openEvidenceLog({
    dir: join(dir, 'evidence'),
    signingKey,
    blindingKey: randomBytes(32),
    origin: 'mailwarden/test',
    now,
  });
  const db = openStateDb({ file: join(dir, 'state.db'), migrations: [...CORE_MIGRATIONS, ...GUARD_MIGRATIONS] });
  const executor = new CountingExecutor();
  const approvers: Approver[] = Array.from({ length: opts.approverCount ?? 2 }, (_, i) => {
    const pair = generateApproverKeyPair();
    return {
      id: `approver-${i}`,
      key: createPrivateKey(pair.privateKeyPem),
      publicKey: createPublicKey(pair.publicKeyPem),
    };
  });
  const keyring: ApproverKeyring = {
    mode: 'eddsa',
    approvers: [...approvers.map((a) => a.id), ...(opts.passkeys?.keys() ?? [])],
    keyOf: (id) => approvers.find((a) => a.id === id)?.publicKey ?? null,
    passkeyOf: (id) => opts.passkeys?.get(id) ?? null,
  };
  const { proposals, approvals, lockdown } = createAppCore({
    db,
    policy,
    executor: opts.gog?.executor ?? executor,
    evidence,
    keyring,
    now,
    skewSeconds: 60,
    ...(opts.gog ? { owner: opts.gog.owner } : {}),
  });
  return {
    dir,
    db,
    evidence,
    evidencePublicKey: createPublicKey(evKeys.publicKeyPem),
    executor,
    proposals,
    approvals,
    lockdown,
    approvers,
    clock,
    async sign(approver, proposalId, hash, decision, o = {}) {
      const iat = o.iat ?? Math.floor(clock.now.getTime() / 1000);
      return signStatement(
        {
          proposalId,
          proposalHash: hash,
          approver: approver.id,
          decision,
          nonce: o.nonce ?? newNonce(),
          iat,
          exp: o.exp ?? iat + 300,
        },
        approver.key,
        'EdDSA',
      );
    },
    verify: () =>
      verifyEvidence({
        dir: join(dir, 'evidence'),
        publicKey: createPublicKey(evKeys.publicKeyPem),
        approverKeys: new Map(approvers.map((a) => [a.id, a.publicKey])),
      }),
    async close() {
      await evidence.close();
      db.close();
    },
  };
}

export function policyWith(extra: Record<string, unknown>): string {
  return stringify({
    version: 1,
    name: 'test',
    commands: { gmail: true, calendar: true },
    rules: [
      { id: 'reads', match: 'class:read', effect: 'allow' },
      { id: 'send-approval', match: ['gmail.send', 'gmail.forward'], effect: 'approve' },
      { id: 'no-trash', match: 'gmail.trash', effect: 'deny' },
    ],
    default: 'deny',
    ...extra,
  });
}

export const SEND = {
  action: 'gmail.send',
  params: { to: ['sam@example.com'], subject: 'Hi', body: 'Hello' },
} as const;
export const READ = { action: 'gmail.search', params: { query: 'is:unread' } } as const;
export const DENIED = { action: 'gmail.trash', params: { messageIds: ['m1'] } } as const;
