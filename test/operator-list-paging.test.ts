// Listing proposals on the operator socket and in `mailwarden list`: pages through a cursor, says how many
// more there are, and never caps silently.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createOperatorApp } from '../sidecar/http/index.ts';
import { call } from './support/http.ts';
import { type Core, createCore, READ } from './support/in-process.ts';
import { mailwarden, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
});

type Page = { proposals: { id: string }[]; nextCursor: string | null; more: number };

describe('operator API paging', () => {
  it('pages through 1,205 proposals 1,000 at a time, each exactly once', async () => {
    core = await createCore();
    const first = await core.proposals.submit('agent-a', READ as never);
    const template = core.db.prepare('SELECT * FROM proposals WHERE id = ?').get(first.row.id) as Record<
      string,
      unknown
    >;
    const insert = core.db.prepare(
      `INSERT INTO proposals (${Object.keys(template).join(', ')}) VALUES (${Object.keys(template)
        .map((k) => `@${k}`)
        .join(', ')})`,
    );
    core.db.transaction(() => {
      for (let i = 1; i < 1205; i++) {
        insert.run({
          ...template,
          id: `seeded-${String(i).padStart(5, '0')}`,
          created_at: new Date(Date.parse('2026-11-22T10:00:00Z') + i).toISOString(),
        });
      }
    })();
    const app = createOperatorApp({
      proposals: core.proposals,
      lockdown: core.lockdown,
      decisions: core.approvals as never,
      posture: async () => ({}) as never,
      maxBodyBytes: 65536,
      log: () => undefined,
    });
    const get = async (q: string) => (await (await app.request(`/v1/proposals${q}`)).json()) as Page;
    const p1 = await get('?limit=1000');
    expect(p1.proposals).toHaveLength(1000);
    expect(p1.more).toBe(205);
    expect(p1.nextCursor).toEqual(expect.any(String));
    const p2 = await get(`?limit=1000&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(p2.proposals).toHaveLength(205);
    expect(p2.more).toBe(0);
    expect(p2.nextCursor).toBeNull();
    const ids = [...p1.proposals, ...p2.proposals].map((p) => p.id);
    expect(new Set(ids).size).toBe(1205);
    // Newest first.
    expect(ids[0]).toBe('seeded-01204');

    const bad = await app.request('/v1/proposals?cursor=abc');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/cursor/);
  });
});

describe('mailwarden list', () => {
  let s: TestSidecar;
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  it('--limit shows a page and a clear "N more" line; --cursor shows the next', async () => {
    s = await startTestSidecar();
    for (let i = 0; i < 5; i++) {
      const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: { action: 'gmail.send', params: { to: ['sam@example.com'], subject: `n${i}`, body: 'x' } },
      });
      expect(r.status).toBe(403);
    }
    const page = await mailwarden(['list', '--limit', '2', '--config', s.configPath]);
    expect(page.code).toBe(0);
    const lines = page.stdout.trim().split('\n');
    expect(lines.filter((l) => /gmail\.send/.test(l))).toHaveLength(2);
    const more = lines.at(-1) ?? '';
    expect(more).toMatch(/^3 more; next page: mailwarden list --limit 2 --cursor \S+$/);
    const cursor = /--cursor (\S+)$/.exec(more)![1]!;
    const next = await mailwarden(['list', '--limit', '2', '--cursor', cursor, '--config', s.configPath]);
    expect(
      next.stdout
        .trim()
        .split('\n')
        .filter((l) => /gmail\.send/.test(l)),
    ).toHaveLength(2);
    expect(next.stdout).toMatch(/1 more/);
    const json = await mailwarden(['list', '--limit', '10', '--json', '--config', s.configPath]);
    expect(JSON.parse(json.stdout)).toMatchObject({ more: 0, nextCursor: null });
    const wrong = await mailwarden(['list', '--limit', '0', '--config', s.configPath]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/--limit/);
  });
});
