// The mailwarden command as a user runs it: exit codes 0/1/2, --json, clear errors.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mailwarden, REPO_ROOT } from './support/sidecar.ts';

const scratch = mkdtempSync(join(tmpdir(), 'mw-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('mailwarden CLI', () => {
  it('prints usage and exits 2 without a command, 2 on an unknown one', async () => {
    expect((await mailwarden([])).code).toBe(2);
    const r = await mailwarden(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('writes a complete setup with safe modes and reports it as JSON', async () => {
    const dir = join(scratch, 'setup');
    const r = await mailwarden(['init', '--dir', dir, '--profile', 'observe_only', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['agentKey', 'agentSocket', 'approverKey', 'config', 'operatorSocket']);
    expect(out.agentKey).toMatch(/^mwa_/);
    for (const key of ['agent.key', 'approver.key', 'evidence.key', 'evidence-blinding.key', 'token.key']) {
      expect(statSync(join(dir, 'keys', key)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    expect(statSync(out.config!).mode & 0o777).toBe(0o600);
    expect(readFileSync(out.config!, 'utf8')).not.toContain(out.agentKey);
    const gogConfig = JSON.parse(readFileSync(join(dir, 'gog-home', 'config', 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(gogConfig.gmail_no_send).toBe(true);
  });

  it('never overwrites an existing setup', async () => {
    const dir = join(scratch, 'setup');
    const before = readFileSync(join(dir, 'keys', 'agent.key'), 'utf8');
    const r = await mailwarden(['init', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
    expect(readFileSync(join(dir, 'keys', 'agent.key'), 'utf8')).toBe(before);
  });

  it.each([
    ['--profile', 'yolo'],
    ['--backend', 'imap'],
  ])('refuses %s %s with a usage error', async (flag, value) => {
    const r = await mailwarden(['init', '--dir', join(scratch, 'x'), flag, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
  });

  it('checks a good policy with exit 0 and a bad one with exit 1, naming line and key', async () => {
    const good = await mailwarden(['policy', 'check', join(REPO_ROOT, 'policies', 'full.yaml'), '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({
      ok: true,
      name: 'full',
      digest: expect.stringMatching(/^sha256:/),
    });
    const file = join(scratch, 'bad.yaml');
    writeFileSync(
      file,
      'version: 1\nname: bad\nrules:\n  - id: r\n    match: gmail.send\n    effect: allow\n    when: always\n',
    );
    const bad = await mailwarden(['policy', 'check', file]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${file}:7`);
    expect(bad.stdout).toContain('rules.0.when');
  });

  it('explains a decision with its rules', async () => {
    const r = await mailwarden([
      'policy',
      'explain',
      join(REPO_ROOT, 'policies', 'draft_assist.yaml'),
      'gmail.forward',
      '{"messageId":"m1","to":["x@evil.example"]}',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'gmail.forward', effect: 'deny' });
    const bad = await mailwarden([
      'policy',
      'explain',
      join(REPO_ROOT, 'policies', 'full.yaml'),
      'gmail.send',
      '{"to":"x"}',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('params.to');
  });

  it('makes agent keys and approver key pairs, never overwriting', async () => {
    const agent = JSON.parse((await mailwarden(['keygen', '--agent', '--json'])).stdout) as {
      agentKey: string;
      keyHash: string;
    };
    expect(agent.agentKey).toMatch(/^mwa_/);
    expect(agent.keyHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const first = await mailwarden(['keygen', '--out', scratch, '--name', 'ann', '--json']);
    expect(first.code).toBe(0);
    expect(statSync(join(scratch, 'ann.key')).mode & 0o777).toBe(0o600);
    const again = await mailwarden(['keygen', '--out', scratch, '--name', 'ann']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/never overwrites/);
  });

  it('says clearly when the sidecar is not running', async () => {
    const r = await mailwarden(['list', '--config', join(scratch, 'setup', 'mailwarden.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the sidecar/);
  });

  it('refuses to serve with a key others can read, naming the file and the fix', async () => {
    const key = join(scratch, 'setup', 'keys', 'evidence.key');
    const { chmodSync } = await import('node:fs');
    chmodSync(key, 0o644);
    const r = await mailwarden(['serve', '--config', join(scratch, 'setup', 'mailwarden.yaml')]);
    chmodSync(key, 0o600);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(key);
    expect(r.stderr).toMatch(/chmod 600/);
  });
});
