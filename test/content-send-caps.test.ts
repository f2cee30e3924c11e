// Send caps on a real SQLite file: atomic reservations across processes, commit/release, restarts, stale rows.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSendCaps, SEND_CAPS_MIGRATION } from '../sidecar/content/index.ts';

let dir: string;
let file: string;
const open: Database.Database[] = [];

function openDb(): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SEND_CAPS_MIGRATION);
  open.push(db);
  return db;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailwarden-caps-'));
  file = join(dir, 'state.sqlite');
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('send caps', () => {
  it('reservations count, a failed send is released and not counted, a success is', () => {
    let t = new Date('2026-11-22T10:00:00Z');
    const caps = createSendCaps(openDb(), { perHour: 2, perDay: 10 }, () => t);
    const a = caps.reserve('agent-1');
    const b = caps.reserve('agent-1');
    expect(a.ok && b.ok).toBe(true);
    const c = caps.reserve('agent-1');
    expect(c).toMatchObject({ ok: false, rule: 'caps.hourly' });
    if (!b.ok) throw new Error('unreachable');
    expect(caps.release(b.reservationId)).toBe(true); // the send failed
    const d = caps.reserve('agent-1');
    expect(d.ok).toBe(true);
    if (!a.ok || !d.ok) throw new Error('unreachable');
    expect(caps.commit(a.reservationId)).toBe(true);
    expect(caps.commit(a.reservationId)).toBe(false); // settled once
    expect(caps.release(a.reservationId)).toBe(false); // a counted send cannot be uncounted
    expect(caps.reserve('agent-1').ok).toBe(false);
    expect(caps.reserve('agent-2').ok).toBe(true); // per principal
    t = new Date(t.getTime() + 61 * 60_000);
    expect(caps.reserve('agent-1').ok).toBe(true); // the hour window moved on
  });

  it('enforces the daily cap and says when room returns', () => {
    let t = new Date('2026-11-22T00:00:00Z');
    const caps = createSendCaps(openDb(), { caps: { perHour: 5, perDay: 6 } }, () => t);
    for (let i = 0; i < 6; i++) {
      const r = caps.reserve('p');
      expect(r.ok).toBe(true);
      if (r.ok) caps.commit(r.reservationId);
      t = new Date(t.getTime() + 2 * 3_600_000);
    }
    const full = caps.reserve('p');
    expect(full).toMatchObject({ ok: false, rule: 'caps.daily' });
    if (!full.ok) expect(full.message).toMatch(/6 of 6.*2026-11-23T00:00:00.000Z/);
  });

  it('persists across a restart (the file is reopened)', () => {
    const t = new Date('2026-11-22T10:00:00Z');
    const first = openDb();
    const caps1 = createSendCaps(first, { perHour: 3, perDay: 25 }, () => t);
    for (let i = 0; i < 3; i++) {
      const r = caps1.reserve('p');
      if (r.ok) caps1.commit(r.reservationId);
    }
    first.close();
    const caps2 = createSendCaps(openDb(), { perHour: 3, perDay: 25 }, () => t);
    expect(caps2.reserve('p')).toMatchObject({ ok: false, rule: 'caps.hourly' });
  });

  it('a reservation left by a crash keeps counting until released explicitly', () => {
    let t = new Date('2026-11-22T10:00:00Z');
    const first = openDb();
    const r = createSendCaps(first, { perHour: 1, perDay: 25 }, () => t).reserve('p');
    first.close(); // crash between reserve and commit
    t = new Date(t.getTime() + 15 * 60_000);
    const caps = createSendCaps(openDb(), { perHour: 1, perDay: 25 }, () => t);
    expect(caps.reserve('p').ok).toBe(false);
    const stale = caps.stale();
    expect(stale).toHaveLength(1);
    if (!r.ok) throw new Error('unreachable');
    expect(stale[0]?.reservationId).toBe(r.reservationId);
    expect(caps.release(r.reservationId)).toBe(true);
    expect(caps.reserve('p').ok).toBe(true);
  });

  it('keeps mail and calendar buckets apart', () => {
    const db = openDb();
    const now = () => new Date('2026-11-22T10:00:00Z');
    const mail = createSendCaps(db, { perHour: 1, perDay: 1 }, now);
    const cal = createSendCaps(db, { perHour: 1, perDay: 1 }, now, { bucket: 'calendar' });
    expect(mail.reserve('p').ok).toBe(true);
    expect(cal.reserve('p').ok).toBe(true);
    expect(mail.reserve('p').ok).toBe(false);
  });

  it('parallel processes never overshoot the cap', async () => {
    openDb(); // creates the table
    const moduleUrl = new URL('../sidecar/content/send-caps.ts', import.meta.url).href;
    // The worker lives in a temporary folder, so it imports the driver by absolute path.
    const sqliteUrl = pathToFileURL(createRequire(import.meta.url).resolve('better-sqlite3')).href;
    const worker = join(dir, 'worker.ts');
    writeFileSync(
      worker,
      `import Database from ${JSON.stringify(sqliteUrl)};
import { createSendCaps } from ${JSON.stringify(moduleUrl)};
const db = new Database(process.argv[2]);
db.pragma('busy_timeout = 10000');
const caps = createSendCaps(db, { perHour: 1000, perDay: 25 }, () => new Date('2026-11-22T10:00:00Z'));
let ok = 0;
for (let i = 0; i < 20; i++) if (caps.reserve('shared').ok) ok++;
process.stdout.write(String(ok));
`,
    );
    const root = fileURLToPath(new URL('..', import.meta.url));
    const run = () =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, file], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += String(d)));
        child.stderr.on('data', (d) => (err += String(d)));
        child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`worker failed: ${err}`))));
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    expect(results.reduce((a, b) => a + b, 0)).toBe(25);
    const db = openDb();
    const row = db.prepare('SELECT SUM(count) AS n FROM send_cap_reservations').get() as { n: number };
    expect(row.n).toBe(25);
  });

  it('refuses a nonsensical count', () => {
    const caps = createSendCaps(openDb(), { perHour: 5, perDay: 25 }, () => new Date());
    expect(() => caps.reserve('p', 0)).toThrow(/positive integer/);
  });
});
