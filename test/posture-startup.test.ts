// The refuse-to-start file mode check against real files: each problem names the file and the exact fix.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { checkStartupFileModes, formatStartupProblems } from '../sidecar/posture/index.ts';

const root = mkdtempSync(join(tmpdir(), 'mw-startup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
let dir: string;
let key: string;
let config: string;
beforeEach(() => {
  n += 1;
  dir = join(root, `case-${n}`);
  mkdirSync(dir, { mode: 0o700 });
  key = join(dir, 'evidence.key');
  writeFileSync(key, 'secret', { mode: 0o600 });
  config = join(dir, 'mailwarden.yaml');
  writeFileSync(config, 'version: 1\n', { mode: 0o640 });
});

describe('checkStartupFileModes', () => {
  it('accepts 0600 keys, a 0700 directory and a 0640 config', () => {
    expect(checkStartupFileModes({ keys: [key], dirs: [dir], files: [config] })).toEqual({ ok: true });
  });

  it.each([0o640, 0o604, 0o644, 0o660, 0o620])('refuses a key of mode %o with chmod 600', (mode) => {
    chmodSync(key, mode);
    const r = checkStartupFileModes({ keys: [key], dirs: [], files: [] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.path).toBe(key);
    expect(r.problems[0]?.problem).toContain(key);
    expect(r.problems[0]?.problem).toContain(`0${mode.toString(8)}`);
    expect(r.problems[0]?.fix).toBe(`chmod 600 ${key}`);
  });

  it('says when a key is readable by others', () => {
    chmodSync(key, 0o644);
    const r = checkStartupFileModes({ keys: [key], dirs: [], files: [] });
    expect(r.ok || r.problems[0]?.problem).toContain('readable by others');
  });

  it.each([0o770, 0o757, 0o777])('refuses a directory of mode %o with chmod go-w', (mode) => {
    chmodSync(dir, mode);
    const r = checkStartupFileModes({ keys: [], dirs: [dir], files: [] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]?.fix).toBe(`chmod go-w ${dir}`);
  });

  it('refuses a group-writable config', () => {
    chmodSync(config, 0o660);
    const r = checkStartupFileModes({ keys: [], dirs: [], files: [config] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.fix).toBe(`chmod go-w ${config}`);
  });

  it('refuses a missing key and a missing directory with the command that creates them', () => {
    const missingDir = join(dir, 'state');
    const r = checkStartupFileModes({ keys: [join(dir, 'nope.key')], dirs: [missingDir], files: [] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.problem)).toEqual([
      `${join(dir, 'nope.key')} does not exist`,
      `${missingDir} does not exist`,
    ]);
    expect(r.problems[1]?.fix).toBe(`mkdir -m 700 -p ${missingDir}`);
  });

  it('quotes paths with spaces in the fix so it can be pasted', () => {
    const spaced = join(dir, 'my key');
    writeFileSync(spaced, 's', { mode: 0o644 });
    chmodSync(spaced, 0o644);
    const r = checkStartupFileModes({ keys: [spaced], dirs: [], files: [] });
    expect(r.ok || r.problems[0]?.fix).toBe(`chmod 600 '${spaced}'`);
  });

  it('refuses a key owned by another user with a chown fix naming the running user', () => {
    if (process.getuid?.() !== 0) {
      // Only root can hand a file to another uid; elsewhere the owner is always the runner.
      expect(checkStartupFileModes({ keys: [key], dirs: [], files: [] })).toEqual({ ok: true });
      return;
    }
    chownSync(key, 4242, 4242);
    const r = checkStartupFileModes({ keys: [key], dirs: [], files: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.fix).toBe(`chown ${userInfo().username} ${key}`);
  });

  it.runIf(process.getuid?.() === 0)('lets root own the config and policy, but never a key', () => {
    const svc = { uid: 4242, name: 'mailwarden' };
    chownSync(config, 0, 0);
    chownSync(key, 4242, 4242);
    chownSync(dir, 4242, 4242);
    expect(checkStartupFileModes({ keys: [key], dirs: [dir], files: [config] }, svc)).toEqual({ ok: true });
    chownSync(key, 0, 0);
    const r = checkStartupFileModes({ keys: [key], dirs: [dir], files: [config] }, svc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.fix)).toEqual([`chown mailwarden ${key}`]);
  });

  it('reports every problem at once, formatted with fixes', () => {
    chmodSync(key, 0o644);
    chmodSync(dir, 0o777);
    const r = checkStartupFileModes({ keys: [key], dirs: [dir], files: [config] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatStartupProblems(r.problems);
    expect(text.split('\n')[0]).toContain('refuses to start');
    expect(text).toContain(`fix: chmod 600 ${key}`);
    expect(text).toContain(`fix: chmod go-w ${dir}`);
  });
});
