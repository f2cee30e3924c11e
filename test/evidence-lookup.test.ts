// Finding a few proposals' records without reading the whole log: by segment start time, then a binary search.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProposalEvidence, openEvidenceLog } from '../sidecar/evidence/index.ts';

const { privateKey } = generateKeyPairSync('ed25519');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('proposal evidence lookup', () => {
  it('reads only the recent part of a large log, yet finds an old proposal by looking again', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mw-lookup-'));
    dirs.push(root);
    const dir = join(root, 'log');
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const log = await openEvidenceLog({
      dir,
      signingKey: privateKey,
      blindingKey: Buffer.alloc(32, 1),
      origin: 'mailwarden/lookup',
      now: () => new Date(clock),
      checkpointEvery: { records: 1000, seconds: 0 },
      rotate: { maxBytes: 256 * 1024 },
    });
    const batch = async (from: number, to: number) => {
      const all: Promise<unknown>[] = [];
      for (let i = from; i < to; i++) {
        clock += 1000;
        all.push(
          log.append({
            type: i % 3 === 0 ? 'execution_started' : 'proposal_submitted',
            proposalId: `p-${i}`,
            data: { i, nested: { proposalId: 'decoy', type: 'decoy', seq: 1 } },
          }),
        );
        if (i % 7 === 0) all.push(log.append({ type: 'auth_failed', data: { i } }));
        await all.at(-1);
      }
      await Promise.all(all);
    };
    await batch(0, 6000);
    await log.close();
    const since = new Date(Date.parse('2026-01-01T00:00:00Z') + 5900 * 1000).toISOString();
    const ids = new Set(['p-5950', 'p-5952', 'p-10', 'p-missing']);
    const found = await findProposalEvidence({ dir, ids, since });
    expect([...(found.byId.get('p-5950')?.types.keys() ?? [])]).toEqual(['proposal_submitted']);
    expect([...(found.byId.get('p-5952')?.types.keys() ?? [])]).toEqual(['execution_started']);
    // Created long before `since` (a wrong clock): found by the second look over the earlier part.
    expect([...(found.byId.get('p-10')?.types.keys() ?? [])]).toEqual(['proposal_submitted']);
    expect(found.byId.has('p-missing')).toBe(false);
    // Without anything missing, only the recent part is read.
    const recent = await findProposalEvidence({ dir, ids: new Set(['p-5950', 'p-5999']), since });
    const everything = await findProposalEvidence({ dir, ids: new Set(['p-5950', 'p-5999']) });
    expect(recent.byId.size).toBe(2);
    expect(everything.byId.size).toBe(2);
    expect(recent.bytesRead * 20).toBeLessThan(everything.bytesRead);
  });
});
