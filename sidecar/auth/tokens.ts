// Short-lived single-use agent tokens minted from an agent key (HS256 with jose; replay store in SQLite).
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { StateDb } from '../state/index.ts';

const ISSUER = 'mailwarden';
const AUDIENCE = 'mailwarden-agent-socket';

export interface TokenService {
  mint(principal: string): Promise<{ token: string; expiresAt: string }>;
  /** The principal of a valid, unused token (and marks it used), or null. */
  redeem(token: string): Promise<string | null>;
}

export interface TokenServiceOptions {
  readonly db: StateDb;
  readonly currentKey: Uint8Array;
  /** Still accepted for verification after a key rotation. */
  readonly previousKey?: Uint8Array;
  readonly ttlSeconds: number;
  readonly now: () => Date;
}

export function looksLikeToken(value: string): boolean {
  return value.split('.').length === 3;
}

export function createTokenService(opts: TokenServiceOptions): TokenService {
  const insertJti = opts.db.prepare('INSERT OR IGNORE INTO token_jtis (jti, expires_at) VALUES (?, ?)');
  const pruneJtis = opts.db.prepare('DELETE FROM token_jtis WHERE expires_at < ?');
  const keys = [opts.currentKey, ...(opts.previousKey ? [opts.previousKey] : [])];
  return {
    async mint(principal) {
      const now = opts.now();
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + opts.ttlSeconds;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(principal)
        .setJti(randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(opts.currentKey);
      return { token, expiresAt: new Date(exp * 1000).toISOString() };
    },
    async redeem(token) {
      for (const key of keys) {
        try {
          const { payload } = await jwtVerify(token, key, {
            issuer: ISSUER,
            audience: AUDIENCE,
            algorithms: ['HS256'],
            currentDate: opts.now(),
            requiredClaims: ['jti', 'sub', 'exp'],
          });
          const expiresAt = new Date((payload.exp ?? 0) * 1000).toISOString();
          pruneJtis.run(opts.now().toISOString());
          // SECURITY: single use; the first redemption wins, a replay finds the jti taken.
          const fresh = insertJti.run(payload.jti, expiresAt).changes === 1;
          return fresh && typeof payload.sub === 'string' ? payload.sub : null;
        } catch (err) {
          if (err instanceof errors.JWSSignatureVerificationFailed) continue;
          return null;
        }
      }
      return null;
    },
  };
}
