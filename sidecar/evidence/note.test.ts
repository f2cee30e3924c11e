// Unit tests of signed notes: C2SP key ids, checkpoint and anchor bodies, and what a verifier must refuse.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CompactRange } from './merkle.ts';
import { anchorBody, checkpointBody, keyId, openNote, parseAnchorBody, parseCheckpointBody, signNote } from './note.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const root = Buffer.alloc(32, 0xab);

describe('signed notes', () => {
  it('computes the C2SP / sumdb key id (vector: PeterNeumann+c74f20a3)', () => {
    const raw = Buffer.from('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'base64');
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') },
      format: 'jwk',
    });
    expect(keyId('PeterNeumann', key).toString('hex')).toBe('c74f20a3');
  });

  it('round-trips a checkpoint and refuses any edit, a foreign key or non-canonical base64', () => {
    const note = signNote(checkpointBody({ origin: 'mailwarden/h', size: 42, root }), 'mailwarden/h', privateKey);
    expect(note.startsWith(`mailwarden/h\n42\n${root.toString('base64')}\n\n\u2014 mailwarden/h `)).toBe(true);
    const opened = openNote(note, publicKey);
    expect(opened.ok && parseCheckpointBody(opened.body)).toEqual({ origin: 'mailwarden/h', size: 42, root });
    expect(openNote(note.replace('\n42\n', '\n43\n'), publicKey)).toMatchObject({ ok: false, foreignKey: false });
    expect(openNote(note, generateKeyPairSync('ed25519').publicKey)).toMatchObject({ ok: false, foreignKey: true });
    // The last base64 character of a 68-byte blob carries 2 unused bits: a twin spelling that decodes to
    // the very same bytes must still be refused, so that a note has exactly one accepted form.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sig = note.trimEnd();
    const twin = alphabet[alphabet.indexOf(sig.at(-2)!) ^ 1]!;
    const blob = (n: string) => n.trimEnd().split(' ').at(-1)!;
    const twinNote = `${sig.slice(0, -2)}${twin}=\n`;
    expect(Buffer.from(blob(twinNote), 'base64').equals(Buffer.from(blob(note), 'base64'))).toBe(true);
    expect(openNote(twinNote, publicKey).ok).toBe(false);
  });

  it('rejects checkpoint bodies with extra lines, bad sizes or short roots', () => {
    const b64 = root.toString('base64');
    expect(parseCheckpointBody(`o\n1\n${b64}\nextra\n`)).toBeNull();
    expect(parseCheckpointBody(`o\n01\n${b64}\n`)).toBeNull();
    expect(parseCheckpointBody(`o\n1\n${Buffer.alloc(31).toString('base64')}\n`)).toBeNull();
    expect(parseCheckpointBody('mailwarden/evidence/anchor/v1\n1\n' + `${b64}\n`)).toBeNull();
  });

  it('round-trips an anchor with its compact range', () => {
    const range = new CompactRange();
    for (let i = 0; i < 11; i++) range.append(Buffer.alloc(32, i));
    const anchor = {
      origin: 'mailwarden/h',
      size: 11,
      root: range.root(),
      lastSeq: 10,
      lastHash: 'ab'.repeat(32),
      frontier: range.hashes,
    };
    const parsed = parseAnchorBody(anchorBody(anchor));
    expect(parsed).toEqual({ ...anchor, frontier: [...range.hashes] });
    expect(new CompactRange(parsed!.size, parsed!.frontier).root().equals(range.root())).toBe(true);
    expect(parseAnchorBody(anchorBody(anchor).replace('10 ab', '10 AB'))).toBeNull();
  });
});
