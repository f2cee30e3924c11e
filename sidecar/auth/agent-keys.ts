// Per-agent keys: generated high-entropy, stored only as SHA-256, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = 'mwa_';

export function generateAgentKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Agent keys carry 256 bits of entropy, so a plain SHA-256 is enough to store them safely. */
export function hashAgentKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export interface AgentKeyEntry {
  readonly id: string;
  readonly keyHash: string;
}

export interface AgentAuthenticator {
  /** The principal id the key belongs to, or null. */
  identify(presentedKey: string): string | null;
}

export function createAgentAuthenticator(agents: readonly AgentKeyEntry[]): AgentAuthenticator {
  const table = agents.map((a) => ({ id: a.id, digest: Buffer.from(a.keyHash.slice('sha256:'.length), 'hex') }));
  return {
    identify(presentedKey) {
      if (!presentedKey.startsWith(KEY_PREFIX) || presentedKey.length > 256) return null;
      const digest = createHash('sha256').update(presentedKey, 'utf8').digest();
      let found: string | null = null;
      // SECURITY: compare against every entry so timing says nothing about which one matched.
      for (const entry of table) {
        if (entry.digest.length === digest.length && timingSafeEqual(entry.digest, digest)) found ??= entry.id;
      }
      return found;
    },
  };
}
