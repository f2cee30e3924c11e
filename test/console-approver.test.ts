// `mailwarden approver add`: enrols a public key (JWK or PEM) into the config without disturbing the rest.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../sidecar/cli/main.ts';
import { loadConfig } from '../sidecar/config/index.ts';
import { initSetup, mailwarden, removeSetup } from './support/sidecar.ts';

/** Runs the command in this process (same dispatch as the binary, without a process start per case). */
async function inProcess(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stdinIsTTY: false,
    stdoutIsTTY: false,
    env: {},
    confirm: async () => false,
  });
  return { code, stdout, stderr };
}

describe('mailwarden approver add', () => {
  let dir: string;
  let config: string;

  beforeAll(async () => {
    const s = await initSetup('full');
    dir = s.dir;
    config = s.init.config;
  });
  afterAll(() => removeSetup({ dir }));

  const publicJwk = () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    return { key: publicKey, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } };
  };

  it('adds a browser JWK as an SPKI PEM next to the config and appends it, keeping everything else', async () => {
    const before = readFileSync(config, 'utf8');
    const { key, jwk } = publicJwk();
    // WebCrypto exports extra members (key_ops, ext); they are accepted and ignored.
    const r = await mailwarden([
      'approver',
      'add',
      '--id',
      'phone',
      '--jwk',
      JSON.stringify({ ...jwk, key_ops: ['verify'], ext: true }),
      '--config',
      config,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; publicKey: string; fingerprint: string };
    expect(out.publicKey).toBe(join(dir, 'keys', 'approver-phone.pub'));
    expect(out.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);

    const pem = readFileSync(out.publicKey, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(createPublicKey(pem).equals(key)).toBe(true);

    const after = readFileSync(config, 'utf8');
    expect(after.split('\n').slice(0, 2)).toEqual(before.split('\n').slice(0, 2)); // header comments survive
    const b = parse(before) as Record<string, unknown> & { approvals: { approvers: unknown[] } };
    const a = parse(after) as Record<string, unknown> & { approvals: { approvers: unknown[] } };
    expect(a.approvals.approvers).toEqual([
      ...b.approvals.approvers,
      { id: 'phone', publicKey: './keys/approver-phone.pub' },
    ]);
    expect({ ...a, approvals: null }).toEqual({ ...b, approvals: null });
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(loadConfig(config).config.approvals.approvers.map((x) => x.id)).toEqual(['owner', 'phone']);
  });

  it('adds a PEM public key file', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const file = join(dir, 'laptop.pub');
    writeFileSync(file, publicKey.export({ type: 'spki', format: 'pem' }));
    const r = await mailwarden(['approver', 'add', '--id', 'laptop', '--public-key', file, '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('approver laptop added');
    expect(loadConfig(config).config.approvals.approvers.map((x) => x.id)).toEqual(['owner', 'phone', 'laptop']);
  });

  it.each([
    ['a duplicate id', () => ['--id', 'phone', '--jwk', JSON.stringify(publicJwk().jwk)], 1, 'already configured'],
    [
      'a key enrolled under another id',
      () => ['--id', 'again', '--public-key', join(dir, 'laptop.pub')],
      1,
      'already enrolled as approver "laptop"',
    ],
    [
      'a private JWK',
      () => ['--id', 'leaky', '--jwk', JSON.stringify({ ...publicJwk().jwk, d: 'A'.repeat(43) })],
      2,
      'private key',
    ],
    ['a private PEM', () => ['--id', 'leaky', '--public-key', join(dir, 'keys', 'approver.key')], 2, 'private key'],
    [
      'a non-Ed25519 key',
      () => {
        const file = join(dir, 'ec.pub');
        writeFileSync(
          file,
          generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }),
        );
        return ['--id', 'ec', '--public-key', file];
      },
      2,
      'not Ed25519',
    ],
    ['a bad id', () => ['--id', 'Bad Id', '--jwk', JSON.stringify(publicJwk().jwk)], 2, '--id'],
    ['both key options', () => ['--id', 'both', '--jwk', '{}', '--public-key', 'x'], 2, 'exactly one'],
  ])('refuses %s and leaves the config as it was', async (_label, args, code, message) => {
    const before = readFileSync(config, 'utf8');
    const r = await inProcess(['approver', 'add', ...args(), '--config', config]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(readFileSync(config, 'utf8')).toBe(before);
  });

  it('lists the configured approvers', async () => {
    const r = await inProcess(['approver', 'list', '--config', config, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { approvers: { id: string }[] }).approvers.map((a) => a.id)).toEqual([
      'owner',
      'phone',
      'laptop',
    ]);
  });
});
