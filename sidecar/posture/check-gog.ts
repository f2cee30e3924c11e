// gog checks: a baked safety profile consistent with policy, and a valid OAuth grant for the account.
import { describeProbe } from './inspect-path.ts';
import type { RatedCheck } from './rated-check.ts';
import type { GogAuthProbe, GogSchemaProbe, PostureInput, Probed } from './types.ts';

/** gog's preset profiles known to block gmail send, reply and forward. */
export const SEND_BLOCKING_PROFILES: ReadonlySet<string> = new Set(['agent-safe', 'readonly']);

const FAKE_FIX = 'set gog.backend to gog and gog.binary to a real gog build (ideally gog-agent-safe)';

export function bakedProfileCheck(input: PostureInput, schema: Probed<GogSchemaProbe> | null): RatedCheck {
  const id = 'gog.baked_profile';
  if (input.gog.backend === 'fake') {
    return {
      id,
      required: true,
      status: 'warn',
      summary: 'development backend: the fake gog sends nothing',
      fix: FAKE_FIX,
    };
  }
  if (schema === null || schema.kind !== 'ok') {
    return {
      id,
      required: true,
      status: 'unknown',
      summary: `gog schema --json gave no answer: ${schema === null ? 'not run' : describeProbe(schema)}`,
      fix: `check that ${input.gog.binary} runs as the service user (gog schema --json)`,
    };
  }
  const baked = schema.value.automation?.safety?.baked_profile;
  if (!baked?.enabled) {
    return {
      id,
      required: true,
      status: input.policyDeniesSend ? 'warn' : 'pass',
      summary: input.policyDeniesSend
        ? 'gog has no baked safety profile: only policy stops a send'
        : 'gog has no baked safety profile; policy allows sending, so none is required',
      ...(input.policyDeniesSend
        ? { fix: 'install a gog build with the agent-safe profile baked in (gog-agent-safe)' }
        : {}),
    };
  }
  const name = (baked.name ?? '').toLowerCase().replace(/^gog-/, '');
  if (!input.policyDeniesSend) {
    return { id, required: true, status: 'pass', summary: `gog has baked profile "${baked.name ?? ''}"` };
  }
  if (SEND_BLOCKING_PROFILES.has(name)) {
    return {
      id,
      required: true,
      status: 'pass',
      summary: `gog has baked profile "${baked.name}", which blocks send as policy does`,
    };
  }
  return {
    id,
    required: true,
    status: 'unknown',
    summary: `gog has baked profile "${baked.name ?? ''}", not known to block send while policy denies it`,
    fix: 'use a build baked with agent-safe or readonly, or confirm the profile sets gmail.send: false',
  };
}

export function authCheck(input: PostureInput, auth: Probed<GogAuthProbe> | null): RatedCheck {
  const id = 'gog.auth';
  if (input.gog.backend === 'fake') {
    return {
      id,
      required: true,
      status: 'warn',
      summary: 'development backend: no Google account is used',
      fix: FAKE_FIX,
    };
  }
  const gog = `sudo -u mailwarden ${input.gog.binary} --home ${input.paths.gogHome}`;
  // The real-gog steps of docs/deployment.md; posture names the first one that is missing.
  const scopes = input.policyDeniesSend ? '--services gmail,calendar --readonly' : '--services gmail,calendar';
  const reauth = `${gog} auth add ${input.gog.account} ${scopes} --manual (step 2 of "The real gog" in docs/deployment.md; least privilege: only Gmail and Calendar${input.policyDeniesSend ? ', read-only scopes while the policy never sends' : ''})`;
  if (auth === null || auth.kind !== 'ok') {
    const said = auth === null ? 'not run' : describeProbe(auth);
    const keyring = /keyring|GOG_KEYRING_PASSWORD|passphrase/i.test(said);
    return {
      id,
      required: true,
      status: 'unknown',
      summary: `gog auth list --check --json gave no answer: ${said}`,
      fix: keyring
        ? 'gog keeps its tokens in its file keyring: put the keyring password in a 0600 file of the service user and set gog.keyringPasswordFile (step 3 of "The real gog" in docs/deployment.md)'
        : `check that ${input.gog.binary} runs as the service user with gog.home set`,
    };
  }
  const want = input.gog.account.toLowerCase();
  const entry = auth.value.accounts.find((a) => a.email.toLowerCase() === want);
  if (entry === undefined) {
    const first =
      auth.value.accounts.length === 0
        ? `gog has no account at all: first store the OAuth client (${gog} auth credentials client_secret.json, step 1 of "The real gog" in docs/deployment.md), then `
        : '';
    return {
      id,
      required: true,
      status: 'fail',
      summary: `gog has no grant for ${input.gog.account}`,
      fix: `${first}${reauth}`,
    };
  }
  if (entry.valid === true && entry.error === undefined) {
    return { id, required: true, status: 'pass', summary: `gog's grant for ${input.gog.account} is valid` };
  }
  if (entry.valid === false || entry.error !== undefined) {
    return {
      id,
      required: true,
      status: 'fail',
      summary: `gog's grant for ${input.gog.account} is not valid${entry.error ? `: ${entry.error}` : ''}`,
      fix: reauth,
    };
  }
  return {
    id,
    required: true,
    status: 'unknown',
    summary: `gog did not say whether the grant for ${input.gog.account} is valid`,
    fix: 'upgrade gog to a version whose auth list --check reports validity',
  };
}
