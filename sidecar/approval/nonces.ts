// Single use of signed statements: each nonce is consumed once, durably, before the statement takes effect.
import { durably, type StateDb } from '../state/index.ts';

export function createNonceStore(db: StateDb) {
  const use = db.prepare('INSERT OR IGNORE INTO used_nonces (nonce, used_at, expires_at) VALUES (?, ?, ?)');
  return {
    /** True the first time `nonce` is seen; false for a replay. Fsynced before it returns. */
    consume(nonce: string, now: Date, expSeconds: number): boolean {
      const at = now.toISOString();
      const expires = new Date(expSeconds * 1000).toISOString();
      return durably(db, () => use.run(nonce, at, expires).changes) === 1;
    },
  };
}

export type NonceStore = ReturnType<typeof createNonceStore>;
