// Exported checkpoints are held against the log like local ones, but a copy byte for byte identical to a local
// note that was already verified needs no second Ed25519 check: with the shipped cadence (a checkpoint a minute)
// and a directory sink, that check was half of a full verification's signature work. The report counts the
// signatures it checked.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEvidenceKeys } from './keys.ts';
import { openEvidenceLog } from './open.ts';
import { createDirectorySink } from './sinks.ts';
import { verifyEvidence } from './verify.ts';

const keys = generateEvidenceKeys();
const publicKey = createPublicKey(keys.publicKeyPem);
let root: string;
let dir: string;
let exported: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mw-exported-'));
  dir = join(root, 'log');
  exported = join(root, 'exported');
  const log = await openEvidenceLog({
    dir,
    signingKey: createPrivateKey(keys.privateKeyPem),
    blindingKey: Buffer.alloc(32, 7),
    origin: 'mailwarden/exported',
    checkpointEvery: { records: 2, seconds: 0 },
    sink: createDirectorySink(exported),
  });
  for (let i = 0; i < 10; i++) await log.append({ type: 'decision', data: { i } });
  await log.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function signatureChecks(opts: { externalCheckpoints?: string[]; dir?: string }): Promise<number> {
  const report = await verifyEvidence({ dir: opts.dir ?? dir, publicKey, parallel: false, ...opts });
  if (report.verdict !== 'intact') throw new Error(`expected an intact log: ${JSON.stringify(report)}`);
  return report.signaturesChecked;
}

describe('exported checkpoints', () => {
  it('cost no second signature check when they are the local notes byte for byte', async () => {
    const names = (await readdir(exported)).filter((n) => n.startsWith('checkpoint-'));
    expect(names.length).toBeGreaterThanOrEqual(5);
    const alone = await signatureChecks({});
    expect(alone).toBeGreaterThanOrEqual(names.length);
    expect(await signatureChecks({ externalCheckpoints: [exported] })).toBe(alone);
    const report = await verifyEvidence({ dir, publicKey, externalCheckpoints: [exported] });
    expect(report).toMatchObject({
      verdict: 'intact',
      exported: { checkpoints: names.length, identicalToLocal: names.length },
    });
  });

  it('are still checked when their bytes differ from the local note: a bad signature is reported', async () => {
    const copy = join(root, 'exported-forged');
    await cp(exported, copy, { recursive: true });
    const name = (await readdir(copy)).filter((n) => n.startsWith('checkpoint-')).sort()[2]!;
    const text = await readFile(join(copy, name), 'utf8');
    // Same body, same key id, one signature byte changed: what a forger without the key could write.
    const m = /^(— \S+ )(\S+)$/m.exec(text)!;
    const sig = Buffer.from(m[2]!, 'base64');
    sig[10] = sig[10]! ^ 1;
    await writeFile(join(copy, name), text.replace(m[0], `${m[1]}${sig.toString('base64')}`));
    const report = await verifyEvidence({ dir, publicKey, parallel: false, externalCheckpoints: [copy] });
    expect(report).toMatchObject({
      verdict: 'tampered',
      firstBad: { reason: 'bad_signature', file: join(copy, name) },
    });
  });

  it('are verified on their own when no local note of that size is left', async () => {
    const bare = join(root, 'log-without-notes');
    await cp(dir, bare, { recursive: true });
    const locals = (await readdir(join(bare, 'checkpoints'))).filter((n) => n.startsWith('checkpoint-'));
    for (const n of locals.slice(0, -1)) await rm(join(bare, 'checkpoints', n));
    await rm(join(bare, 'resume.note'), { force: true });
    const alone = await signatureChecks({ dir: bare });
    const held = await signatureChecks({ dir: bare, externalCheckpoints: [exported] });
    // Every exported note but the one identical to the remaining local note is checked.
    expect(held - alone).toBe(locals.length - 1);
  });
});
