// Evidence throughput: durable appends with one fsync per record (the baseline) vs group commit, and verify speed.
// Run: node --import tsx bench/evidence.bench.ts   (EVIDENCE_BENCH_DIR picks the disk; tmpfs would fake fsync)
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEvidenceLog, verifyEvidence } from '../sidecar/evidence/index.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const base = process.env['EVIDENCE_BENCH_DIR'] ?? tmpdir();
await mkdir(base, { recursive: true });
const root = await mkdtemp(join(base, 'mw-evidence-bench-'));

const event = (i: number) => ({
  type: 'decision' as const,
  proposalId: `p_${i % 1000}`,
  principal: 'agent:bench',
  data: { decision: 'allow', rules: ['read-inbox'], paramsHash: `sha256:${String(i).padStart(64, '0')}` },
});

const open = (name: string) =>
  openEvidenceLog({
    dir: join(root, name),
    signingKey: privateKey,
    blindingKey: Buffer.alloc(32, 1),
    origin: 'mailwarden/bench',
    checkpointEvery: { records: 10_000, seconds: 0 },
  });

/** Appends/s with `concurrency` callers each awaiting its own durable append before the next. */
async function appends(name: string, total: number, concurrency: number): Promise<number> {
  const log = await open(name);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await log.append(event(next++));
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await log.close();
  return total / seconds;
}

/** Verify speed by wall clock and by CPU time (the latter is what a busy 2-core box can't take away). */
async function verifyRate(name: string, records: number): Promise<{ wall: number; cpu: number }> {
  const log = await open(name);
  let next = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < records) await log.append(event(next++));
    }),
  );
  await log.close();
  const start = performance.now();
  const cpu = process.cpuUsage();
  const report = await verifyEvidence({ dir: join(root, name), publicKey });
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  if (report.verdict !== 'intact') throw new Error(`bench log did not verify: ${report.verdict}`);
  return { wall: records / seconds, cpu: records / ((used.user + used.system) / 1e6) };
}

try {
  const baseline = await appends('fsync-per-record', 2_000, 1);
  const rows: [string, number, string][] = [['durable appends, 1 caller (fsync per record)', baseline, '']];
  for (const c of [8, 64, 256]) {
    const rate = await appends(`group-${c}`, Math.min(60_000, 2_000 * c), c);
    rows.push([`durable appends, ${c} concurrent callers (group commit)`, rate, c === 64 ? 'target ≥ 5,000/s' : '']);
  }
  const verify = await verifyRate('verify', 200_000);
  rows.push(['verify records (wall clock)', verify.wall, 'target ≥ 200,000/s']);
  rows.push(['verify records (per CPU-second)', verify.cpu, 'target ≥ 200,000/s']);

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`evidence bench (${base}; node ${process.version}; load average ${loadavg()[0]!.toFixed(1)})`);
  console.log(`${'measurement'.padEnd(56)} ${'per second'.padStart(12)} ${'× baseline'.padStart(11)}  note`);
  for (const [name, rate, note] of rows) {
    const met = note ? (rate >= Number(note.replace(/\D/g, '')) ? ' (met)' : ' (NOT met)') : '';
    console.log(
      `${name.padEnd(56)} ${fmt(rate).padStart(12)} ${(rate / baseline).toFixed(1).padStart(10)}×  ${note}${met}`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
