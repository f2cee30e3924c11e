import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy, PolicyError } from './load.ts';

function policyFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mw-policy-')), 'policy.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(text: string) {
  try {
    loadPolicy(policyFile(text));
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

describe('policy files are validated strictly', () => {
  it.each([
    ['an unknown top-level key', 'version: 1\nname: p\nlabel_allowlist: [x]\n', 3, 'label_allowlist'],
    [
      'an unknown rule key',
      'version: 1\nname: p\nrules:\n  - id: r\n    match: gmail.search\n    effect: allow\n    risk: 3\n',
      7,
      'rules.0.risk',
    ],
    [
      'an unknown action',
      'version: 1\nname: p\nrules:\n  - id: r\n    match: gmail.teleport\n    effect: allow\n',
      5,
      'rules.0.match',
    ],
    ['a bad effect', 'version: 1\nname: p\ndefault: maybe\n', 3, 'default'],
    [
      'an unknown approvals key',
      'version: 1\nname: p\napprovals:\n  window_minutes: 5\n',
      4,
      'approvals.window_minutes',
    ],
  ])('refuses %s naming file, line and key', (_label, text, line, path) => {
    const problems = problemsOf(text);
    expect(problems[0]).toMatchObject({ line, path });
    expect(problems[0]!.file).toMatch(/policy\.yaml$/);
  });

  it('refuses duplicate rule ids', () => {
    const problems = problemsOf(
      'version: 1\nname: p\nrules:\n  - id: r\n    match: gmail.search\n    effect: allow\n  - id: r\n    match: gmail.get\n    effect: allow\n',
    );
    expect(problems[0]!.message).toMatch(/duplicate rule id/);
  });

  it('refuses YAML with duplicate keys', () => {
    const problems = problemsOf('version: 1\nname: p\nname: q\n');
    expect(problems[0]!.line).toBe(3);
  });

  it('gives equal policies equal digests and different ones different digests', () => {
    const a = loadPolicy(policyFile('version: 1\nname: p\nrules: []\n'));
    const b = loadPolicy(policyFile('name: p\nversion: 1\nrules: []\n'));
    const c = loadPolicy(policyFile('version: 1\nname: p\ndefault: approve\n'));
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(c.digest);
  });
});
