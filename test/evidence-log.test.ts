// The evidence writer on real files: durable appends, group commit, failure handling, checkpoints, rotation, sinks.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../sidecar/config/index.ts';
import {
  createCommandSink,
  createDirectorySink,
  DEFAULT_CHECKPOINT_EVERY,
  type EvidenceFsOps,
  type EvidenceLogEvent,
  nodeFsOps,
  type OpenEvidenceLogOptions,
  openEvidenceLog,
  verifyEvidence,
} from '../sidecar/evidence/index.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'mw-evidence-'));
  dirs.push(d);
  return join(d, 'log');
}

function options(dir: string, extra: Partial<OpenEvidenceLogOptions> = {}): OpenEvidenceLogOptions {
  return {
    dir,
    signingKey: privateKey,
    blindingKey: Buffer.alloc(32, 7),
    origin: 'mailwarden/test-host',
    checkpointEvery: { records: 1_000_000, seconds: 0 },
    ...extra,
  };
}

async function lines(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
    const text = await readFile(join(dir, name), 'utf8');
    for (const l of text.split('\n').filter(Boolean)) out.push(JSON.parse(l) as Record<string, unknown>);
  }
  return out;
}

function countingFs(extra: Partial<EvidenceFsOps> = {}) {
  const base = nodeFsOps();
  const counts = { fsync: 0, write: 0 };
  const ops: EvidenceFsOps = {
    ...base,
    ...extra,
    write: async (fd, data) => {
      counts.write++;
      await (extra.write ?? base.write)(fd, data);
    },
    fsync: async (fd) => {
      counts.fsync++;
      await (extra.fsync ?? base.fsync)(fd);
    },
  };
  return { ops, counts };
}

describe('evidence log', () => {
  it('appends durable, chained, canonical records and reopens where it left off', async () => {
    const dir = await tmp();
    const log = await openEvidenceLog(options(dir));
    const a = await log.append({ type: 'sidecar_started', data: { version: '0.1.0' } });
    const b = await log.append({ type: 'decision', proposalId: 'p_1', principal: 'agent:a', data: { rule: 'r1' } });
    expect([a.seq, b.seq]).toEqual([0, 1]);
    await log.close();
    const again = await openEvidenceLog(options(dir));
    expect((await again.append({ type: 'sidecar_stopped' })).seq).toBe(2);
    await again.close();
    const recs = await lines(dir);
    expect(recs.map((r) => r['seq'])).toEqual([0, 1, 2]);
    expect(recs[1]!['prev']).toBe(a.hash);
    expect(recs[2]!['prev']).toBe(b.hash);
    expect(recs[1]).toMatchObject({ v: 1, type: 'decision', proposalId: 'p_1', principal: 'agent:a' });
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  });

  it('creates the directory 0700 and every file 0600', async () => {
    const dir = await tmp();
    const log = await openEvidenceLog(options(dir));
    await log.append({ type: 'sidecar_started' });
    await log.close();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'checkpoints'))).mode & 0o777).toBe(0o700);
    for (const name of await readdir(dir)) {
      if (name !== 'checkpoints') expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
    for (const name of await readdir(join(dir, 'checkpoints'))) {
      expect((await stat(join(dir, 'checkpoints', name))).mode & 0o777).toBe(0o600);
    }
  });

  it('blinds values with a keyed HMAC that is stable but not the value', async () => {
    const log = await openEvidenceLog(options(await tmp()));
    const x = log.blind('alice@example.com');
    expect(x).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(log.blind('alice@example.com')).toBe(x);
    expect(log.blind('bob@example.com')).not.toBe(x);
    const other = await openEvidenceLog({ ...options(await tmp()), blindingKey: randomBytes(32) });
    expect(other.blind('alice@example.com')).not.toBe(x);
    await log.close();
    await other.close();
  });

  it('group commit: 200 concurrent appends are all durable with far fewer fsyncs than records', async () => {
    const dir = await tmp();
    const { ops, counts } = countingFs({
      // A slow disk, so that appends pile up while an fsync is in flight.
      fsync: async (fd) => {
        await new Promise((r) => setTimeout(r, 3));
        await nodeFsOps().fsync(fd);
      },
    });
    const log = await openEvidenceLog(options(dir, { fsOps: ops }));
    const before = counts.fsync;
    const receipts = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i % 20)); // arrive over ~20 ms, not all in one tick
        return log.append({ type: 'decision', proposalId: `p_${i}`, data: { i } });
      }),
    );
    const used = counts.fsync - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThan(200 / 4);
    expect(new Set(receipts.map((r) => r.seq)).size).toBe(200);
    await log.close();
    const recs = await lines(dir);
    expect(recs).toHaveLength(200);
    for (const r of receipts) expect(recs[r.seq]!['hash']).toBe(r.hash);
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  });

  it('group commit: appends issued in one tick share a single write and fsync', async () => {
    const dir = await tmp();
    const { ops, counts } = countingFs();
    const log = await openEvidenceLog(options(dir, { fsOps: ops }));
    const [writes, fsyncs] = [counts.write, counts.fsync];
    const receipts = await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.append({ type: 'decision', data: { i } })),
    );
    // One write and sync of the segment, then one sync of the acknowledged head (written in place).
    expect([counts.write - writes, counts.fsync - fsyncs]).toEqual([1, 2]);
    expect(receipts.map((r) => r.seq)).toEqual(receipts.map((_, i) => i));
    await log.close();
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  });

  it('a failing write rejects the append and leaves a log that still verifies and keeps working', async () => {
    const dir = await tmp();
    let failNext = false;
    const { ops } = countingFs({
      write: async (fd, data) => {
        if (failNext) {
          failNext = false;
          // Half the bytes reach the file before the disk gives up.
          await nodeFsOps().write(fd, data.subarray(0, Math.floor(data.length / 2)));
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        await nodeFsOps().write(fd, data);
      },
    });
    const events: EvidenceLogEvent[] = [];
    const log = await openEvidenceLog(options(dir, { fsOps: ops, onEvent: (e) => events.push(e) }));
    await log.append({ type: 'sidecar_started' });
    failNext = true;
    await expect(log.append({ type: 'execution_started', proposalId: 'p_9' })).rejects.toMatchObject({
      code: 'EVIDENCE_UNAVAILABLE',
    });
    expect(events.some((e) => e.kind === 'write_failed' && !e.fatal)).toBe(true);
    const next = await log.append({ type: 'decision' });
    expect(next.seq).toBe(1); // the failed record never took a place in the chain
    await log.close();
    expect((await lines(dir)).map((r) => r['type'])).toEqual(['sidecar_started', 'decision']);
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  });

  it('a failing fsync fails closed: every later append rejects until a restart', async () => {
    const dir = await tmp();
    let fail = false;
    const { ops } = countingFs({
      fsync: async (fd) => {
        if (fail) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        await nodeFsOps().fsync(fd);
      },
    });
    const log = await openEvidenceLog(options(dir, { fsOps: ops }));
    await log.append({ type: 'sidecar_started' });
    fail = true;
    await expect(log.append({ type: 'decision' })).rejects.toMatchObject({ code: 'EVIDENCE_UNAVAILABLE' });
    fail = false;
    await expect(log.append({ type: 'decision' })).rejects.toMatchObject({ code: 'EVIDENCE_UNAVAILABLE' });
    await log.close();
    const reopened = await openEvidenceLog(options(dir));
    expect((await reopened.append({ type: 'sidecar_started' })).seq).toBe(1);
    await reopened.close();
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  });

  it('rejects events it cannot record and appends after close', async () => {
    const log = await openEvidenceLog(options(await tmp()));
    await expect(log.append({ type: 'Not A Type' as 'decision' })).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID_EVENT',
    });
    await expect(log.append({ type: 'decision', data: { n: Number.NaN } })).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID_EVENT',
    });
    await log.close();
    await expect(log.append({ type: 'decision' })).rejects.toMatchObject({ code: 'EVIDENCE_CLOSED' });
  });

  it('writes signed checkpoints every N records, at close, and exports them to a directory sink', async () => {
    const dir = await tmp();
    const exportDir = join(dir, '..', 'export');
    const log = await openEvidenceLog(
      options(dir, { checkpointEvery: { records: 10, seconds: 0 }, sink: createDirectorySink(exportDir) }),
    );
    for (let i = 0; i < 25; i++) await log.append({ type: 'decision', data: { i } });
    await log.close();
    const local = await readdir(join(dir, 'checkpoints'));
    expect(local).toEqual([
      'checkpoint-0000000000000000.note',
      'checkpoint-0000000000000010.note',
      'checkpoint-0000000000000020.note',
      'checkpoint-0000000000000025.note',
    ]);
    expect((await readdir(exportDir)).sort()).toEqual(local);
    const note = await readFile(join(exportDir, 'checkpoint-0000000000000025.note'), 'utf8');
    expect(note).toMatch(/^mailwarden\/test-host\n25\n[A-Za-z0-9+/]{43}=\n\n\u2014 mailwarden\/test-host \S+\n$/);
    expect((await stat(join(exportDir, local[1]!))).mode & 0o777).toBe(0o600);
    // A different log (or a rewritten one) exporting a different checkpoint of a size already there is refused.
    const sink = createDirectorySink(exportDir);
    await sink.put({ origin: 'mailwarden/test-host', size: 25, root: '', text: note }); // the same one again: fine
    await expect(sink.put({ origin: 'other', size: 25, root: '', text: 'other\n25\n' })).rejects.toMatchObject({
      code: 'EVIDENCE_SINK_FAILED',
    });
  });

  it('the sidecar config signs checkpoints at the same default interval as the log itself', async () => {
    const docs = await readFile(join(import.meta.dirname, '..', 'docs', 'evidence.md'), 'utf8');
    const shape = ConfigSchema.shape.evidence.shape.checkpoint.parse(undefined);
    expect(shape).toEqual(DEFAULT_CHECKPOINT_EVERY);
    expect(docs).toContain(`every N records or T seconds (defaults 1,000 / ${DEFAULT_CHECKPOINT_EVERY.seconds} s)`);
  });

  it('writes a checkpoint after T seconds of appends', async () => {
    const dir = await tmp();
    const log = await openEvidenceLog(options(dir, { checkpointEvery: { records: 1000, seconds: 0.05 } }));
    await log.append({ type: 'decision' });
    await new Promise((r) => setTimeout(r, 200));
    expect(await readdir(join(dir, 'checkpoints'))).toContain('checkpoint-0000000000000001.note');
    await log.close();
  });

  it('exports through a command (no shell) and reports a failing command without failing appends', async () => {
    const dir = await tmp();
    const out = join(dir, '..', 'received.txt');
    const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>require('fs').appendFileSync(${JSON.stringify(out)},s))`;
    const events: EvidenceLogEvent[] = [];
    const log = await openEvidenceLog(
      options(dir, { sink: createCommandSink([process.execPath, '-e', script]), onEvent: (e) => events.push(e) }),
    );
    await log.append({ type: 'decision' });
    await log.close();
    expect(await readFile(out, 'utf8')).toContain('mailwarden/test-host\n1\n');
    const bad = await openEvidenceLog(
      options(await tmp(), {
        sink: createCommandSink([process.execPath, '-e', 'process.exit(3)']),
        onEvent: (e) => events.push(e),
      }),
    );
    expect((await bad.append({ type: 'decision' })).seq).toBe(0);
    await bad.close();
    expect(events.some((e) => e.kind === 'sink_failed' && /exited with 3/.test(e.error.message))).toBe(true);
  });

  it('rotates by size into sortable segments that chain on, and pruning leaves an anchor that verifies intact', async () => {
    const dir = await tmp();
    const events: EvidenceLogEvent[] = [];
    const log = await openEvidenceLog(
      options(dir, {
        rotate: { maxBytes: 2000 },
        checkpointEvery: { records: 7, seconds: 0 },
        onEvent: (e) => events.push(e),
      }),
    );
    for (let i = 0; i < 60; i++) await log.append({ type: 'decision', proposalId: `p_${i % 3}`, data: { i } });
    const segments = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
    expect(segments.length).toBeGreaterThanOrEqual(4);
    expect(segments[0]).toBe('evidence-0000000000000000.jsonl');
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');

    const removed = await log.prune(2);
    expect(removed).toEqual(segments.slice(0, segments.length - 2));
    await log.append({ type: 'decision', data: { after: 'prune' } });
    await log.close();
    const report = await verifyEvidence({ dir, publicKey });
    expect(report).toMatchObject({ verdict: 'intact' });
    if (report.verdict !== 'intact') return;
    expect(report.anchor?.size).toBe(Number(segments.at(-2)!.slice(9, 25)));
    const recs = await lines(dir);
    expect(recs.some((r) => r['type'] === 'evidence_pruned')).toBe(true);
    // Reopening after a prune still works and still verifies.
    const again = await openEvidenceLog(options(dir));
    await again.append({ type: 'sidecar_started' });
    await again.close();
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  });

  it('rotates by age and prunes automatically with keepSegments', async () => {
    const dir = await tmp();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const log = await openEvidenceLog(
      options(dir, { now: () => new Date(clock), rotate: { maxBytes: 1 << 30, maxAgeSeconds: 60, keepSegments: 2 } }),
    );
    for (let i = 0; i < 10; i++) {
      await log.append({ type: 'decision', data: { i } });
      clock += 30_000;
    }
    await log.close();
    expect((await readdir(dir)).filter((n) => n.endsWith('.jsonl'))).toHaveLength(2);
    expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  });

  it('refuses to start on a mismatch after the signed resume point, naming file and line', async () => {
    const dir = await tmp();
    const log = await openEvidenceLog(options(dir));
    await log.append({ type: 'decision', data: { i: 0 } });
    await log.checkpoint();
    const resume = await readFile(join(dir, 'resume.note'));
    for (let i = 1; i < 5; i++) await log.append({ type: 'decision', data: { i } });
    await log.close();
    // As after a crash: the resume point still at the first record, the other four unsigned.
    await writeFile(join(dir, 'resume.note'), resume);
    await rm(join(dir, 'checkpoints', 'checkpoint-0000000000000005.note'));
    const seg = join(dir, 'evidence-0000000000000000.jsonl');
    const text = await readFile(seg, 'utf8');
    await writeFile(seg, text.replace('{"i":2}', '{"i":9}'));
    await expect(openEvidenceLog(options(dir))).rejects.toMatchObject({
      code: 'EVIDENCE_TAMPERED',
      message: expect.stringContaining('evidence-0000000000000000.jsonl line 3'),
    });
  });

  it('at start verifies only the records after the signed resume point; verify reads them all', async () => {
    const dir = await tmp();
    const events: EvidenceLogEvent[] = [];
    const log = await openEvidenceLog(options(dir, { checkpointEvery: { records: 10, seconds: 0 } }));
    for (let i = 0; i < 25; i++) await log.append({ type: 'decision', data: { i } });
    await log.close();
    const again = await openEvidenceLog(options(dir, { onEvent: (e) => events.push(e) }));
    expect(events).toContainEqual({ kind: 'opened', size: 25, verifiedFrom: 25 });
    expect((await again.append({ type: 'sidecar_started' })).seq).toBe(25);
    await again.close();
    expect(await verifyEvidence({ dir, publicKey })).toMatchObject({ verdict: 'intact', records: 26 });
  });

  it('lets one writer at a time hold a log, and takes over the lock of a dead process', async () => {
    const dir = await tmp();
    const log = await openEvidenceLog(options(dir));
    await expect(openEvidenceLog(options(dir))).rejects.toMatchObject({
      code: 'EVIDENCE_UNAVAILABLE',
      message: expect.stringContaining('already open'),
    });
    await log.close();
    // A lock left by a process that no longer exists (as after kill -9) is stale.
    await writeFile(join(dir, '.lock'), '2147483646\n');
    const again = await openEvidenceLog(options(dir));
    await again.append({ type: 'sidecar_started' });
    await again.close();
    expect(await readdir(dir)).not.toContain('.lock');
  });
});
