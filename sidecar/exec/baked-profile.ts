// Baked gog safety profiles: probing the binary, and comparing the known presets with the policy.
import { z } from 'zod';
import { ACTION_NAMES, type ActionName } from '../../shared/index.ts';
import { GOG_COMMANDS } from './commands.ts';
import { gogErrorLine } from './exit-codes.ts';
import { runProcess } from './run-process.ts';
import type { GogConfig } from './types.ts';

interface PresetRules {
  /** Command paths (space-joined) the preset allows; anything else is blocked (default deny). */
  readonly allow: readonly string[];
  /** Command paths the preset blocks explicitly; deny wins over allow. */
  readonly deny: readonly string[];
}

// The catalogue-relevant rules of gog's shipped presets (safety-profiles/agent-safe.yaml, readonly.yaml).
const PRESETS: Readonly<Record<string, PresetRules>> = {
  'agent-safe': {
    allow: [
      'gmail search',
      'gmail get',
      'gmail messages',
      'gmail attachment',
      'gmail thread get',
      'gmail labels list',
      'gmail archive',
      'gmail mark-read',
      'gmail unread',
      'gmail drafts list',
      'gmail drafts create',
      'gmail drafts update',
      'calendar events',
      'calendar event',
      'calendar create',
      'calendar update',
    ],
    deny: [
      'gmail trash',
      'gmail send',
      'gmail forward',
      'gmail drafts delete',
      'gmail drafts send',
      'calendar delete',
      'calendar respond',
    ],
  },
  readonly: {
    allow: [
      'gmail search',
      'gmail get',
      'gmail messages search',
      'gmail attachment',
      'gmail thread get',
      'gmail labels list',
      'gmail drafts list',
      'calendar events',
      'calendar event',
    ],
    deny: [
      'gmail messages modify',
      'gmail archive',
      'gmail mark-read',
      'gmail unread',
      'gmail trash',
      'gmail send',
      'gmail forward',
      'gmail drafts create',
      'gmail drafts update',
      'gmail drafts delete',
      'gmail drafts send',
      'calendar create',
      'calendar update',
      'calendar delete',
      'calendar respond',
    ],
  },
};

/** Every gog command path an action may run (gmail.reply may also run `gmail reply-all`; all are checked). */
export function gogCommandPaths(action: ActionName): string[][] {
  return GOG_COMMANDS[action].paths.map((path) => [...path]);
}

function prefixMatch(rules: readonly string[], path: readonly string[]): boolean {
  return rules.some((rule) => {
    const parts = rule.split(' ');
    return parts.length <= path.length && parts.every((p, i) => p === path[i]);
  });
}

function presetName(profileName: string): string {
  return profileName.trim().toLowerCase().replace(/^gog-/, '');
}

/**
 * Whether a known preset blocks an action: deny wins, parent prefixes match, default deny once any
 * allow rule exists. 'unknown' for a profile whose rules mailwarden does not know.
 */
export function bakedProfileBlocks(profileName: string, action: ActionName): boolean | 'unknown' {
  const rules = PRESETS[presetName(profileName)];
  if (rules === undefined) return 'unknown';
  return gogCommandPaths(action).some(
    (path) => prefixMatch(rules.deny, path) || (rules.allow.length > 0 && !prefixMatch(rules.allow, path)),
  );
}

export type GogPolicyEffect = 'allow' | 'approve' | 'deny';

/**
 * Compares a baked profile with the policy. Errors: the policy would allow or approve an action gog
 * will refuse (the agent would see failures). Warnings: gog allows what policy denies (only policy stops it).
 */
export function compareBakedProfile(
  profileName: string,
  effectOf: (action: ActionName) => GogPolicyEffect,
): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (PRESETS[presetName(profileName)] === undefined) {
    warnings.push(
      `gog's baked profile "${profileName}" is not one mailwarden knows (agent-safe, readonly); its rules cannot be compared with the policy`,
    );
    return { errors, warnings };
  }
  for (const action of ACTION_NAMES) {
    const blocks = bakedProfileBlocks(profileName, action);
    const effect = effectOf(action);
    if (blocks === true && effect !== 'deny') {
      errors.push(
        `policy says "${effect}" for ${action}, but gog's baked profile "${profileName}" blocks it: deny ${action} in the policy or install a gog build whose profile allows it`,
      );
    } else if (blocks === false && effect === 'deny') {
      warnings.push(
        `gog's baked profile "${profileName}" allows ${action}, which the policy denies: only the policy stops it`,
      );
    }
  }
  return { errors, warnings };
}

const SchemaProbeSchema = z.object({
  build: z.string().optional(),
  automation: z
    .object({
      safety: z
        .object({
          baked_profile: z.object({ enabled: z.boolean(), name: z.string().nullable().optional() }).optional(),
          gmail_no_send: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
});

/** What `gog schema` says about the binary: its baked profile and whether gog's own no-send is active. */
export interface GogSchemaView {
  readonly bakedProfile: { enabled: boolean; name: string | null };
  /** automation.safety.gmail_no_send; null when this gog does not report it. */
  readonly gmailNoSend: boolean | null;
  readonly build: string | null;
}

/** gog's whole command schema can be large; the probe allows more than a mail call does. */
const PROBE_MAX_BYTES = 32 * 1024 * 1024;

/** Asks the gog binary (`gog schema --json`) whether it carries a baked safety profile. */
export async function probeGogSchema(cfg: GogConfig): Promise<GogSchemaView | { error: string }> {
  const probeCfg = { ...cfg, maxOutputBytes: Math.max(cfg.maxOutputBytes, PROBE_MAX_BYTES) };
  const res = await runProcess(probeCfg, ['--json', '--no-input', '--home', cfg.home, 'schema'], undefined);
  if (res.kind === 'spawn_error')
    return { error: `cannot run ${cfg.binary} (${res.spawnErrorCode ?? 'spawn failed'})` };
  if (res.kind === 'timeout') return { error: `gog schema did not finish within ${cfg.timeoutMs} ms` };
  if (res.kind !== 'exited') return { error: `gog schema was stopped (${res.kind})` };
  if (res.exitCode !== 0) {
    return { error: `gog schema exited ${res.exitCode ?? 'by signal'}: ${gogErrorLine(res.stderr.toString('utf8'))}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(res.stdout.toString('utf8'));
  } catch {
    return { error: 'gog schema printed something that is not JSON' };
  }
  const parsed = SchemaProbeSchema.safeParse(json);
  if (!parsed.success) return { error: 'gog schema JSON has an unexpected automation.safety shape' };
  const safety = parsed.data.automation?.safety;
  const baked = safety?.baked_profile;
  return {
    bakedProfile: { enabled: baked?.enabled ?? false, name: baked?.name ?? null },
    gmailNoSend: safety?.gmail_no_send ?? null,
    build: parsed.data.build ?? null,
  };
}
