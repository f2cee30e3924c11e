// Inputs, probe edges and gog probe schemas of the posture self-check.
import { z } from 'zod';

/** What the running sidecar knows about itself and its configuration. */
export interface PostureInput {
  sidecar: { uid: number; gid: number };
  /**
   * The agent runtime's OS identity. Any field may be missing: a missing uid is
   * resolved from `user`, else from the members of the agent socket's group;
   * what stays unknown makes the checks that need it `unknown`, never `pass`.
   * `group` (config agent.group) names the agents' group when no user is given.
   */
  agent: { uid?: number; gids?: number[]; user?: string; group?: string; home?: string };
  paths: {
    config: string;
    policy: string;
    stateDir: string;
    evidenceDir: string;
    gogHome: string;
    /** Private keys: approver HMAC secret (if any), evidence signing key, blinding key, agent key file. */
    keys: string[];
    agentSocket: string;
    operatorSocket: string;
    checkpointExportDir?: string;
  };
  approvalMode: 'eddsa' | 'hs256';
  evidence: {
    verdict: 'intact' | 'tampered' | 'cannot_verify' | 'unknown';
    checkpointsExported: boolean;
    /** Open evidence gaps found by the start-up reconciliation; absent when not known (posture run offline). */
    gaps?: readonly { id: number; proposals: readonly string[] }[];
  };
  gog: { backend: 'fake' | 'gog'; binary: string; account: string };
  policyDeniesSend: boolean;
  bypassAttestation?: { evidenceRef: string };
  /** The running sidecar's notification sinks and how their deliveries went; absent when not observed. */
  notify?: {
    sinks: {
      name: string;
      kind: string;
      delivered: number;
      failingInARow: number;
      lastFailure: string | null;
    }[];
  };
}

/** The subset of `fs.Stats` posture reasons about. */
export interface FileStat {
  uid: number;
  gid: number;
  /** Full st_mode, including the file type bits. */
  mode: number;
  isDirectory: boolean;
  isSocket: boolean;
  isSymbolicLink: boolean;
}

/** A probe either observed something, found nothing there, or could not look. */
export type Probed<T> = { kind: 'ok'; value: T } | { kind: 'missing' } | { kind: 'error'; message: string };

export interface UserInfo {
  name: string;
  uid: number;
  gid: number;
  home?: string;
}

export const GogSchemaProbeSchema = z.object({
  automation: z
    .object({
      safety: z
        .object({
          baked_profile: z.object({ enabled: z.boolean(), name: z.string().optional() }).nullable().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type GogSchemaProbe = z.infer<typeof GogSchemaProbeSchema>;

export const GogAuthProbeSchema = z.object({
  accounts: z.array(
    z.object({
      email: z.string(),
      valid: z.boolean().optional(),
      error: z.string().optional(),
    }),
  ),
});
export type GogAuthProbe = z.infer<typeof GogAuthProbeSchema>;

/** The injectable edges posture observes the machine through. */
export interface PostureProbes {
  /** Follows symlinks. */
  stat(path: string): Promise<Probed<FileStat>>;
  /** Does not follow a final symlink. */
  lstat(path: string): Promise<Probed<FileStat>>;
  realpath(path: string): Promise<Probed<string>>;
  /** Entry names of a directory (not recursive). */
  readdir(path: string): Promise<Probed<string[]>>;
  /** `gog schema --json`, parsed. */
  gogSchema(): Promise<Probed<GogSchemaProbe>>;
  /** `gog auth list --check --json`, parsed. */
  gogAuth(): Promise<Probed<GogAuthProbe>>;
  userByName(name: string): Promise<Probed<UserInfo>>;
  userByUid(uid: number): Promise<Probed<UserInfo>>;
  /** Every group id the user belongs to (primary and supplementary). */
  groupsOf(user: UserInfo): Promise<Probed<number[]>>;
  groupByName(name: string): Promise<Probed<number>>;
  /** Users whose primary or supplementary group is `gid`. */
  groupMembers(gid: number): Promise<Probed<UserInfo[]>>;
}
