// The contract between proposals/ and the gog execution path.
import type { ActionName, ActionParams, Message } from '../../shared/index.ts';

export interface GogConfig {
  /** Absolute path of the gog (or fake gog) executable. */
  readonly binary: string;
  /** GOG_HOME the sidecar owns; passed as env and as --home. */
  readonly home: string;
  /** The mailbox owner's account, always passed as --account. */
  readonly account: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** Add --gmail-no-send to every call (policy denies every send-class action). */
  readonly noSend: boolean;
  /** Pass --wrap-untrusted so gog marks mailbox text as external content. */
  readonly wrapUntrusted: boolean;
  /** --send-updates for calendar create/update/delete; defaults to none. */
  readonly calendarSendUpdates?: 'none' | 'all' | 'externalOnly';
  /**
   * A file (0600, service user) holding the password of gog's file keyring. gog's file backend (Linux
   * without D-Bus) needs it as GOG_KEYRING_PASSWORD; the executor reads it per call and passes only that.
   */
  readonly keyringPasswordFile?: string;
  /** Set by the executor per call: the folder under the attachments root this call's output goes to. */
  readonly attachmentCallDir?: string;
}

/** Everything needed to spawn gog for one action; argv excludes the binary itself. */
export interface GogPlan {
  readonly argv: readonly string[];
  readonly stdin?: string;
}

export type GogErrorCode =
  | 'GOG_BLOCKED'
  | 'GOG_REFUSED'
  | 'GOG_USAGE'
  | 'GOG_AUTH_REQUIRED'
  | 'GOG_SCOPE_MISSING'
  | 'GOG_NOT_FOUND'
  | 'GOG_PERMISSION_DENIED'
  | 'GOG_RATE_LIMITED'
  | 'GOG_RETRYABLE'
  | 'GOG_CONFIG'
  | 'GOG_CANCELLED'
  | 'GOG_FAILED'
  | 'GOG_TIMEOUT'
  | 'GOG_MISSING_BINARY'
  | 'GOG_OUTPUT_TOO_LARGE'
  | 'GOG_BAD_OUTPUT';

export interface GogRunInfo {
  readonly exitCode: number | null;
  readonly durationMs: number;
  readonly stdoutDigest: string;
  readonly stderrDigest: string;
  readonly attempts: number;
}

export type GogOutcome =
  | { readonly ok: true; readonly result: unknown; readonly info: GogRunInfo }
  | {
      readonly ok: false;
      readonly code: GogErrorCode;
      /** What happened and what the operator should do next. Never contains mailbox content. */
      readonly message: string;
      readonly info: GogRunInfo;
      /**
       * A mutating call that gog did not finish cleanly (stopped at the timeout or by a signal, cut off at the
       * output cap, or answered garbage after exiting 0): its change may have been made.
       */
      readonly mayHaveRun?: boolean;
    };

/** A draft as gog holds it (`gmail drafts get`), in the contract's message shape. */
export type DraftRead =
  | { readonly ok: true; readonly draft: Message & { readonly draftId: string } }
  | { readonly ok: false; readonly code: GogErrorCode; readonly message: string };

export interface GogExecutor {
  execute<A extends ActionName>(action: A, params: ActionParams<A>, signal?: AbortSignal): Promise<GogOutcome>;
  /** Reads a draft's real recipients, subject, body and attachments; never changes anything. */
  readDraft(draftId: string, signal?: AbortSignal): Promise<DraftRead>;
}
