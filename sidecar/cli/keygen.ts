// `mailwarden keygen`: approver key pairs (default) or agent keys with the hash the config stores.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateApproverKeyPair } from '../approval/index.ts';
import { generateAgentKey, hashAgentKey } from '../auth/index.ts';
import { type CliIo, EXIT_OK, parse, print, UsageError } from './io.ts';

export async function keygenCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    out: { type: 'string' },
    name: { type: 'string', default: 'approver' },
    agent: { type: 'boolean' },
  });
  if (values.agent) {
    const key = generateAgentKey();
    const keyHash = hashAgentKey(key);
    print(io, values.json === true, { agentKey: key, keyHash }, () =>
      [
        `agent key: ${key}`,
        `add to the config under agents:  - { id: <agent id>, keyHash: "${keyHash}" }`,
        'give the key to the agent plugin only; the sidecar keeps just the hash',
      ].join('\n'),
    );
    return EXIT_OK;
  }
  const dir = resolve(values.out ?? '.');
  if (!/^[a-z0-9_.-]{1,64}$/.test(values.name))
    throw new UsageError('--name must be 1-64 lower-case letters, digits and _.-');
  const privateFile = join(dir, `${values.name}.key`);
  const publicFile = join(dir, `${values.name}.pub`);
  if (existsSync(privateFile) || existsSync(publicFile))
    throw new UsageError(`${privateFile} or ${publicFile} already exists; keygen never overwrites keys`);
  const pair = generateApproverKeyPair();
  writeFileSync(privateFile, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  chmodSync(privateFile, 0o600);
  writeFileSync(publicFile, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  print(io, values.json === true, { privateKey: privateFile, publicKey: publicFile }, () =>
    [
      `private key: ${privateFile} (0600; stays with the approver)`,
      `public key:  ${publicFile} (add to approvals.approvers in the sidecar's config)`,
    ].join('\n'),
  );
  return EXIT_OK;
}
