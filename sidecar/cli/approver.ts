// `mailwarden approver add|list`: enrols an approver's Ed25519 public key in the config (e.g. a browser's key).
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { describeIssue } from '../../shared/index.ts';
import { type PasskeyCredential, PasskeyCredentialSchema, readPasskeyCredential } from '../approval/index.ts';
import { ConfigSchema, formatProblems, type LoadedConfig, parseYamlText } from '../config/index.ts';
import { loadPolicy } from '../policy/index.ts';
import { CheckFailed, type CliIo, EXIT_OK, loadCliConfig, parse, print, UsageError } from './io.ts';

const USAGE =
  "usage: mailwarden approver add --id ID (--public-key FILE | --jwk '{...}' | --webauthn '{...}') | approver list";
const ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

// What WebCrypto exports for an Ed25519 public key; `d` would be the private half and is refused.
const PublicJwkSchema = z.object({
  kty: z.literal('OKP', 'kty must be "OKP"'),
  crv: z.literal('Ed25519', 'crv must be "Ed25519"'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'x must be 32 bytes in base64url'),
  d: z.undefined({ error: 'this JWK holds a private key ("d"); pass only the public key' }).optional(),
});

function keyFromJwk(text: string): KeyObject {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError('--jwk: not JSON; pass the public key JWK the console shows, in single quotes');
  }
  const jwk = PublicJwkSchema.safeParse(data);
  if (!jwk.success) throw new UsageError(describeIssue(jwk.error, { root: '--jwk' }).message);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.data.x }, format: 'jwk' });
}

function keyFromFile(file: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`--public-key ${file}: cannot read the file`);
  }
  if (text.includes('PRIVATE KEY')) {
    throw new UsageError(`--public-key ${file}: this is a private key; pass the public key (.pub) file`);
  }
  try {
    return createPublicKey(text);
  } catch {
    throw new UsageError(`--public-key ${file}: not a PEM public key`);
  }
}

const spkiDer = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
const fingerprint = (k: KeyObject) => `sha256:${createHash('sha256').update(spkiDer(k)).digest('hex')}`;

function addApprover(loaded: LoadedConfig, id: string, key: KeyObject, io: CliIo, json: boolean): number {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new UsageError(`the key is ${key.asymmetricKeyType}, not Ed25519; approvers sign with Ed25519`);
  }
  const approvals = loaded.config.approvals;
  if (approvals.mode !== 'eddsa') {
    throw new CheckFailed('approvals.mode is hs256; public keys are enrolled only in the eddsa mode');
  }
  if (approvals.approvers.some((a) => a.id === id)) {
    throw new CheckFailed(
      `approver "${id}" is already configured; choose another --id (or remove the old entry first)`,
    );
  }
  const der = spkiDer(key);
  for (const a of approvals.approvers) {
    if (!a.publicKey) continue;
    try {
      if (spkiDer(createPublicKey(readFileSync(a.publicKey))).equals(der)) {
        throw new CheckFailed(`this key is already enrolled as approver "${a.id}"; one key, one approver`);
      }
    } catch (err) {
      if (err instanceof CheckFailed) throw err;
      // An unreadable key of another approver is that entry's problem; the sidecar reports it.
    }
  }

  const keysDir = join(dirname(loaded.file), 'keys');
  const keyFile = join(keysDir, `approver-${id}.pub`);
  if (existsSync(keyFile)) throw new CheckFailed(`${keyFile} already exists; move it away or choose another --id`);

  // The new config is built and validated before anything is written.
  const original = readFileSync(loaded.file, 'utf8');
  const doc = parseDocument(original);
  const entry = doc.createNode({ id, publicKey: `./keys/approver-${id}.pub` });
  if (doc.hasIn(['approvals', 'approvers'])) doc.addIn(['approvals', 'approvers'], entry);
  else doc.setIn(['approvals', 'approvers'], doc.createNode([{ id, publicKey: `./keys/approver-${id}.pub` }]));
  const updated = doc.toString();
  const check = parseYamlText(updated, loaded.file, ConfigSchema);
  if (!check.ok) throw new CheckFailed(`the updated config would not load:\n${formatProblems(check.problems)}`);

  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  // The key goes first: the sidecar reloads approvers when the config changes and must find the file then.
  writeFileSync(keyFile, key.export({ type: 'spki', format: 'pem' }).toString(), { mode: 0o644, flag: 'wx' });
  const tmp = `${loaded.file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, updated, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, statSync(loaded.file).mode & 0o777);
    renameSync(tmp, loaded.file);
  } catch (err) {
    for (const f of [tmp, keyFile]) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
    throw new CheckFailed(`could not update ${loaded.file}: ${(err as Error).message}`);
  }

  const notes: string[] = [];
  try {
    const allowed = loadPolicy(loaded.config.policy).policy.approvals.approvers;
    if (allowed.length > 0 && !allowed.includes(id)) {
      notes.push(`the policy lets only ${allowed.join(', ')} decide; add "${id}" to approvals.approvers in the policy`);
    }
  } catch {
    notes.push('the policy could not be read to check its approver list; run `mailwarden policy check`');
  }
  const out = { id, publicKey: keyFile, fingerprint: fingerprint(key), config: loaded.file, notes };
  print(io, json, out, () =>
    [
      `approver ${id} added`,
      `  key:         ${keyFile}`,
      `  fingerprint: ${out.fingerprint}`,
      `  config:      ${loaded.file} (a running sidecar picks the new key up by itself)`,
      ...notes.map((n) => `  note: ${n}`),
    ].join('\n'),
  );
  return EXIT_OK;
}

function passkeyFromJson(text: string): PasskeyCredential {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError('--webauthn: not JSON; pass the passkey enrolment the console shows, in single quotes');
  }
  const cred = PasskeyCredentialSchema.safeParse(data);
  if (!cred.success) throw new UsageError(describeIssue(cred.error, { root: '--webauthn' }).message);
  return cred.data;
}

/**
 * Enrols a passkey: written next to the config and named by the approver's entry. An existing approver (e.g.
 * one with an Ed25519 key) gets the passkey added to the same entry, so one person still counts once for quorum.
 */
function addPasskey(loaded: LoadedConfig, id: string, cred: PasskeyCredential, io: CliIo, json: boolean): number {
  const existing = loaded.config.approvals.approvers.find((a) => a.id === id);
  if (existing?.webauthn) {
    throw new CheckFailed(`approver "${id}" already has a passkey (${existing.webauthn}); remove it first`);
  }
  for (const a of loaded.config.approvals.approvers) {
    if (!a.webauthn) continue;
    try {
      if (readPasskeyCredential(a.webauthn).credentialId === cred.credentialId) {
        throw new CheckFailed(`this passkey is already enrolled as approver "${a.id}"; one passkey, one approver`);
      }
    } catch (err) {
      if (err instanceof CheckFailed) throw err;
    }
  }
  const keysDir = join(dirname(loaded.file), 'keys');
  const file = join(keysDir, `approver-${id}.webauthn.json`);
  if (existsSync(file)) throw new CheckFailed(`${file} already exists; move it away or choose another --id`);
  const relative = `./keys/approver-${id}.webauthn.json`;
  const original = readFileSync(loaded.file, 'utf8');
  const doc = parseDocument(original);
  const approvers = loaded.config.approvals.approvers;
  const index = approvers.findIndex((a) => a.id === id);
  if (index >= 0) doc.setIn(['approvals', 'approvers', index, 'webauthn'], relative);
  else if (doc.hasIn(['approvals', 'approvers']))
    doc.addIn(['approvals', 'approvers'], doc.createNode({ id, webauthn: relative }));
  else doc.setIn(['approvals', 'approvers'], doc.createNode([{ id, webauthn: relative }]));
  const updated = doc.toString();
  const check = parseYamlText(updated, loaded.file, ConfigSchema);
  if (!check.ok) throw new CheckFailed(`the updated config would not load:\n${formatProblems(check.problems)}`);
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(cred, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
  replaceConfig(loaded.file, updated, file);
  const out = {
    id,
    webauthn: file,
    credentialId: cred.credentialId,
    rpId: cred.rpId,
    origins: cred.origins,
    config: loaded.file,
  };
  print(io, json, out, () =>
    [
      `passkey of approver ${id} enrolled${index >= 0 ? ' (added to the existing approver)' : ''}`,
      `  credential:  ${cred.credentialId}`,
      `  RP ID:       ${cred.rpId} (origins ${cred.origins.join(', ')})`,
      `  file:        ${file}`,
      `  config:      ${loaded.file} (a running sidecar picks the passkey up by itself)`,
    ].join('\n'),
  );
  return EXIT_OK;
}

/** Writes the new config atomically; on failure removes what was written for it. */
function replaceConfig(configFile: string, text: string, written: string): void {
  const tmp = `${configFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, statSync(configFile).mode & 0o777);
    renameSync(tmp, configFile);
  } catch (err) {
    for (const f of [tmp, written]) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
    throw new CheckFailed(`could not update ${configFile}: ${(err as Error).message}`);
  }
}

export async function approverCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parse(rest, {
    config: { type: 'string' },
    id: { type: 'string' },
    'public-key': { type: 'string' },
    jwk: { type: 'string' },
    webauthn: { type: 'string' },
  });
  if (sub === 'list') {
    const approvers = loadCliConfig(values.config, io.env).config.approvals.approvers.map((a) => ({
      id: a.id,
      ...(a.publicKey ? { publicKey: a.publicKey } : {}),
      ...(a.webauthn ? { webauthn: a.webauthn } : {}),
    }));
    print(io, values.json === true, { approvers }, () =>
      approvers.length === 0
        ? 'no approvers'
        : approvers
            .map(
              (a) =>
                `${a.id}  ${[a.publicKey, a.webauthn && `passkey ${a.webauthn}`].filter(Boolean).join(', ') || '(secret)'}`,
            )
            .join('\n'),
    );
    return EXIT_OK;
  }
  if (sub !== 'add') throw new UsageError(USAGE);
  if (!values.id || !ID.test(values.id)) {
    throw new UsageError('--id: 1-64 lower-case letters, digits and _.- (e.g. "owner-phone")');
  }
  const given = [values['public-key'], values.jwk, values.webauthn].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new UsageError('pass exactly one of --public-key FILE, --jwk JSON and --webauthn JSON');
  }
  if (values.webauthn !== undefined) {
    return addPasskey(
      loadCliConfig(values.config, io.env),
      values.id,
      passkeyFromJson(values.webauthn),
      io,
      values.json === true,
    );
  }
  const key = values.jwk !== undefined ? keyFromJwk(values.jwk) : keyFromFile(values['public-key']!);
  return addApprover(loadCliConfig(values.config, io.env), values.id, key, io, values.json === true);
}
