// The sidecar's own schema migrations; other domains contribute theirs through openSidecarState.
import type { Migration } from './database.ts';

export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'proposals',
    sql: `
      CREATE TABLE proposals (
        id TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        action TEXT NOT NULL,
        status TEXT NOT NULL,
        canonical TEXT NOT NULL,
        hash TEXT NOT NULL,
        decision TEXT NOT NULL,
        policy_digest TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        session_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        expires_at TEXT,
        exec_state TEXT NOT NULL DEFAULT 'none' CHECK (exec_state IN ('none', 'claimed', 'done')),
        claimed_at TEXT,
        result TEXT,
        error TEXT
      );
      CREATE INDEX proposals_status ON proposals (status, expires_at);
      CREATE INDEX proposals_principal ON proposals (principal, created_at);
    `,
  },
  {
    version: 2,
    name: 'approvals-and-lockdown',
    sql: `
      CREATE TABLE approvals (
        proposal_id TEXT NOT NULL REFERENCES proposals (id),
        approver TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
        jws TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (proposal_id, approver)
      );
      CREATE TABLE used_nonces (nonce TEXT PRIMARY KEY, used_at TEXT NOT NULL, expires_at TEXT NOT NULL);
      CREATE TABLE denials (principal TEXT NOT NULL, at TEXT NOT NULL);
      CREATE INDEX denials_principal ON denials (principal, at);
      CREATE TABLE lockdowns (scope TEXT PRIMARY KEY, reason TEXT NOT NULL, since TEXT NOT NULL, actor TEXT NOT NULL);
      CREATE TABLE token_jtis (jti TEXT PRIMARY KEY, expires_at TEXT NOT NULL);
    `,
  },
];
