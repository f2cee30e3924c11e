// Operator login for the console: one-time login links and server-side sessions with expiry and CSRF tokens.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleSession {
  readonly id: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface SessionStoreOptions {
  readonly now?: () => number;
  /** How long a printed login link stays usable. */
  readonly loginTtlMs?: number;
  /** A session ends this long after login, however active. */
  readonly absoluteTtlMs?: number;
  /** A session ends after this long without a request. */
  readonly idleTtlMs?: number;
}

export interface SessionStore {
  /** A new one-time login token; any earlier unused token stays valid until it is used or expires. */
  issueLoginToken(): string;
  /** Burns the token and opens a session; null when the token is unknown, used or expired. */
  redeemLoginToken(token: string): ConsoleSession | null;
  /** The live session for a cookie value, refreshing its idle timer; null when absent or expired. */
  touch(sessionId: string | undefined): ConsoleSession | null;
  /** True when `given` is the session's CSRF token (constant time). */
  checkCsrf(session: ConsoleSession, given: string | undefined): boolean;
  end(sessionId: string): void;
}

const random = () => randomBytes(32).toString('base64url');
// SECURITY: only digests of login tokens and session ids are kept, and lookups go by digest, so neither a
// heap dump nor a timing difference in a Map lookup tells anything about a live secret.
const digest = (s: string) => createHash('sha256').update(s).digest('base64url');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createSessionStore(opts: SessionStoreOptions = {}): SessionStore {
  const now = opts.now ?? Date.now;
  const loginTtl = opts.loginTtlMs ?? 15 * 60_000;
  const absoluteTtl = opts.absoluteTtlMs ?? 8 * 3600_000;
  const idleTtl = opts.idleTtlMs ?? 30 * 60_000;
  const logins = new Map<string, number>(); // digest -> expiry
  const sessions = new Map<string, ConsoleSession>(); // digest of id -> session

  function sweep(): void {
    const t = now();
    for (const [k, exp] of logins) if (exp <= t) logins.delete(k);
    for (const [k, s] of sessions) if (!alive(s, t)) sessions.delete(k);
  }
  const alive = (s: ConsoleSession, t: number) => t < s.createdAt + absoluteTtl && t < s.lastSeenAt + idleTtl;

  return {
    issueLoginToken() {
      sweep();
      const token = random();
      logins.set(digest(token), now() + loginTtl);
      return token;
    },
    redeemLoginToken(token) {
      sweep();
      const key = digest(token);
      const exp = logins.get(key);
      // INVARIANT: the token is deleted before the session exists, so a link can never open two sessions.
      logins.delete(key);
      if (exp === undefined || exp <= now()) return null;
      const t = now();
      const session: ConsoleSession = { id: random(), csrfToken: random(), createdAt: t, lastSeenAt: t };
      sessions.set(digest(session.id), session);
      return session;
    },
    touch(sessionId) {
      if (!sessionId) return null;
      const key = digest(sessionId);
      const s = sessions.get(key);
      if (!s) return null;
      const t = now();
      if (!alive(s, t)) {
        sessions.delete(key);
        return null;
      }
      s.lastSeenAt = t;
      return s;
    },
    checkCsrf(session, given) {
      return given !== undefined && sameSecret(session.csrfToken, given);
    },
    end(sessionId) {
      sessions.delete(digest(sessionId));
    },
  };
}
