// Passkey enrolment in the console: registration options and verification; the sidecar only trusts what
// `mailwarden approver add --webauthn` writes on the host, so the console prepares the enrolment and nothing more.
import {
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Hono } from 'hono';
import { z } from 'zod';
import { type ConsoleEnv, errorJson } from './guards.ts';

/** An enrolled passkey as the browser needs it to ask for an assertion (no key material). */
export interface EnrolledPasskey {
  readonly approver: string;
  readonly credentialId: string;
  readonly rpId: string;
  readonly origins: readonly string[];
}

export interface PasskeyRoutesDeps {
  /** The origin (scheme://host[:port]) the request came in under, already checked against the allowed ones. */
  readonly originOf: (host: string) => string | null;
  /** Passkeys enrolled in the config right now. */
  readonly enrolled: () => EnrolledPasskey[];
  readonly configFile: string;
  readonly now?: () => number;
}

const ApproverIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/);
const REGISTRATION_TTL_MS = 5 * 60_000;

export function addPasskeyRoutes(app: Hono<ConsoleEnv>, deps: PasskeyRoutesDeps): void {
  const now = deps.now ?? Date.now;
  // One registration under way per session: the challenge it must answer, and where it was asked.
  const pending = new Map<string, { challenge: string; approver: string; origin: string; rpId: string; exp: number }>();

  app.get('/api/passkeys', (c) => c.json({ passkeys: deps.enrolled() }));

  app.post('/api/passkeys/registration-options', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { approver?: unknown } | null;
    const approver = ApproverIdSchema.safeParse(body?.approver);
    if (!approver.success) {
      return errorJson(
        c,
        400,
        'INVALID_INPUT',
        'approver: 1-64 lower-case letters, digits and _.- (e.g. "owner-phone")',
      );
    }
    const origin = deps.originOf(c.req.header('host') ?? '');
    if (!origin) return errorJson(c, 400, 'INVALID_INPUT', 'the console is not reached under a known origin');
    const rpId = new URL(origin).hostname;
    if (/^[0-9.]+$|:/.test(rpId)) {
      return errorJson(
        c,
        400,
        'PASSKEY_NEEDS_HOST_NAME',
        `passkeys need a host name, not an IP address; open the console as ${origin.replace(rpId, 'localhost')}`,
      );
    }
    const options = await generateRegistrationOptions({
      rpName: 'mailwarden',
      rpID: rpId,
      userName: approver.data,
      userDisplayName: `mailwarden approver ${approver.data}`,
      attestationType: 'none',
      timeout: 120_000,
      // SECURITY: user verification (PIN, biometrics) is required, as it is for every decision later.
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      excludeCredentials: deps.enrolled().map((p) => ({ id: p.credentialId })),
    });
    pending.set(c.get('session').id, {
      challenge: options.challenge,
      approver: approver.data,
      origin,
      rpId,
      exp: now() + REGISTRATION_TTL_MS,
    });
    return c.json({ options });
  });

  app.post('/api/passkeys/registration', async (c) => {
    const sessionId = c.get('session').id;
    const started = pending.get(sessionId);
    pending.delete(sessionId);
    if (!started || started.exp <= now()) {
      return errorJson(c, 400, 'INVALID_INPUT', 'no passkey registration is under way; start again');
    }
    const body = (await c.req.json().catch(() => null)) as { response?: unknown } | null;
    let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      info = await verifyRegistrationResponse({
        response: body?.response as RegistrationResponseJSON,
        expectedChallenge: started.challenge,
        expectedOrigin: started.origin,
        expectedRPID: started.rpId,
        requireUserVerification: true,
      });
    } catch (err) {
      return errorJson(c, 400, 'PASSKEY_REFUSED', `the new passkey could not be verified: ${(err as Error).message}`);
    }
    if (!info.verified) return errorJson(c, 400, 'PASSKEY_REFUSED', 'the new passkey could not be verified');
    const cred = info.registrationInfo.credential;
    const enrolment = {
      v: 1 as const,
      credentialId: cred.id,
      publicKey: Buffer.from(cred.publicKey).toString('base64url'),
      rpId: started.rpId,
      origins: [started.origin],
    };
    const command = `mailwarden approver add --id ${started.approver} --webauthn '${JSON.stringify(enrolment)}' --config ${deps.configFile}`;
    return c.json({ approver: started.approver, enrolment, command });
  });
}
