// The content of gog's own config.json that mailwarden writes into the gog home it owns.

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
