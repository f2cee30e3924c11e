// The content of gog's own config.json that mailwarden writes into the gog home it owns.
import { join } from 'node:path';

/**
 * Where gog reads its config when GOG_HOME (or --home) is set: `$GOG_HOME/config/config.json`
 * (gogcli internal/config layout). A `config.json` directly in the gog home is never read by gog.
 */
export function gogConfigPath(gogHome: string): string {
  return join(gogHome, 'config', 'config.json');
}

export interface GogConfigFile {
  /** gog's config-level send block: refuses send, reply, forward and drafts send whatever flags say. */
  readonly gmail_no_send: boolean;
}

/**
 * gog's `config.json` for the sidecar's gog home. With `noSend` (the policy denies every send-class
 * action) gog itself refuses to send, so a later flag such as `--gmail-no-send=false` cannot undo it.
 */
export function gogConfigFor(noSend: boolean): GogConfigFile {
  return { gmail_no_send: noSend };
}

export type GogConfigSync =
  | { readonly changed: boolean; readonly warning?: string }
  | { readonly changed: false; readonly error: string };

/**
 * Brings gog's config.json in line with the policy at start-up, keeping every other key gog stores there.
 * When the policy denies every send, config-level no-send is switched on; it is never switched off here
 * (an operator who allows sends again turns it off deliberately), but that case is reported.
 */
export function syncGogConfig(
  current: string | null,
  policyDeniesSends: boolean,
): { text: string | null; result: GogConfigSync } {
  let data: Record<string, unknown> = {};
  if (current !== null) {
    try {
      const parsed: unknown = JSON.parse(current);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      data = parsed as Record<string, unknown>;
    } catch {
      return {
        text: null,
        result: { changed: false, error: "gog's config.json in the gog home is not a JSON object; fix or remove it" },
      };
    }
  }
  const noSend = data.gmail_no_send === true;
  if (policyDeniesSends && !noSend) {
    return { text: `${JSON.stringify({ ...data, ...gogConfigFor(true) }, null, 2)}\n`, result: { changed: true } };
  }
  if (!policyDeniesSends && noSend) {
    return {
      text: null,
      result: {
        changed: false,
        warning:
          "the policy allows sending but gog's config.json has gmail_no_send: true, so gog will refuse every send; set it to false if sends should work",
      },
    };
  }
  return { text: null, result: { changed: false } };
}
