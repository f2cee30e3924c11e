// Facts first: everything a decision needs about the world, gathered once at submission. The decision
// (policy/decide.ts) is pure over them, and the approval card shows these same facts instead of re-reading.
import {
  ACTIONS,
  canonicalize,
  type Message,
  MessageSchema,
  OUTBOUND_ACTIONS,
  ResultSchemas,
  type Sha256Digest,
  sha256Digest,
} from '../../shared/index.ts';
import {
  deriveRecipients,
  extractAddresses,
  type OriginalMessage,
  type OutboundSession,
  parseAddress,
  type Recipients,
  type SendCaps,
  standingOf,
} from '../content/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import { type CompiledPolicy, evaluatePolicy, type Facts, type LockdownState } from '../policy/index.ts';
import type { StoredProposal } from '../proposals/index.ts';

/** What the owner is shown about a draft that will be sent, and what its digest binds. */
export interface DraftContent {
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject: string;
  readonly body: string;
  readonly attachments: readonly { filename: string; mimeType: string; size: number }[];
}

/** The digest an approval of `gmail.drafts.send` binds: the draft's recipients, text and attachment list. */
export function draftDigest(draft: Message): Sha256Digest {
  return sha256Digest(canonicalize(draftContent(draft)));
}

export function draftContent(draft: Message): DraftContent {
  return {
    to: draft.to.flatMap(extractAddresses),
    cc: draft.cc.flatMap(extractAddresses),
    bcc: draft.bcc.flatMap(extractAddresses),
    subject: draft.subject,
    body: draft.body,
    attachments: draft.attachments.map(({ filename, mimeType, size }) => ({ filename, mimeType, size })),
  };
}

/** Facts plus what the approval card shows of them. */
export interface GatheredFacts {
  readonly facts: Facts;
  readonly card: Record<string, unknown>;
  /** For `gmail.drafts.send`: the digest of the draft as read now, sealed into the proposal. */
  readonly draftDigest?: Sha256Digest;
}

export interface FactSources {
  readonly policy: CompiledPolicy;
  readonly executor: GogExecutor;
  readonly owner: string;
  readonly internalDomains: readonly string[];
  readonly lockdown: (principal: string) => LockdownState;
  readonly taint: (principal: string) => OutboundSession;
  readonly capsFor: (p: StoredProposal) => SendCaps | null;
  /** The id of a send of this draft that waits for approval or is about to run, if any. */
  readonly pendingDraftSend: (draftId: string) => string | null;
}

export function createFactGatherer(src: FactSources) {
  const { policy } = src.policy;

  async function readMessage(messageId: string): Promise<OriginalMessage | null> {
    const out = await src.executor.execute('gmail.get', { messageId });
    if (!out.ok) return null;
    const parsed = MessageSchema.safeParse((out.result as { message?: unknown }).message);
    return parsed.success ? parsed.data : null;
  }

  async function readThread(threadId: string): Promise<Message[] | null> {
    const out = await src.executor.execute('gmail.thread.get', { threadId });
    if (!out.ok) return null;
    const messages = (out.result as { thread?: { messages?: unknown[] } }).thread?.messages ?? [];
    return messages.flatMap((m) => {
      const parsed = MessageSchema.safeParse(m);
      return parsed.success ? [parsed.data] : [];
    });
  }

  /**
   * Everyone who wrote or was written to in the thread. SECURITY: drafts in the thread do not count: the
   * agent wrote their headers, so they prove nothing about who is in the conversation.
   */
  function participantsOf(messages: readonly Message[]): string[] {
    return messages
      .filter((m) => !m.labels.includes('DRAFT'))
      .flatMap((m) => [m.from, ...m.to, ...m.cc].flatMap(extractAddresses));
  }

  /** The attendees an event has now, as gog holds it: an update reaches them all. */
  async function readAttendees(calendarId: string, eventId: string): Promise<string[] | null> {
    const out = await src.executor.execute('calendar.event', { calendarId, eventId });
    if (!out.ok) return null;
    const parsed = ResultSchemas['calendar.event'].safeParse(out.result);
    return parsed.success ? (parsed.data.event.attendees ?? []).map((a) => a.email) : null;
  }

  /** The message a reply or forward is about, the draft being sent or changed, and its thread. */
  async function context(
    p: StoredProposal,
  ): Promise<
    { unavailable: string } | { original?: OriginalMessage; thread?: Message[]; draft?: Message; attendees?: string[] }
  > {
    let original: OriginalMessage | null = null;
    switch (p.action) {
      case 'calendar.update': {
        // SECURITY: whoever is on the event sees the changed summary, description or location (in their
        // calendar, and by mail when updates are sent), not only the attendees the update names.
        const attendees = await readAttendees(p.params.calendarId, p.params.eventId);
        if (!attendees) return { unavailable: `event ${p.params.eventId} could not be read to check its attendees` };
        return { attendees };
      }
      case 'gmail.drafts.send':
      case 'gmail.drafts.update': {
        // SECURITY: a draft is judged as gog holds it (recipients, text, attachments), never on what
        // mailwarden once wrote into it: gog keeps fields an update did not restate, and drafts can be
        // edited outside mailwarden.
        const read = await src.executor.readDraft(p.params.draftId);
        if (!read.ok) return { unavailable: `draft ${p.params.draftId} could not be read (${read.code})` };
        original = { ...read.draft, from: src.owner };
        break;
      }
      case 'gmail.reply':
      case 'gmail.forward':
        original = await readMessage(p.params.messageId);
        if (!original)
          return { unavailable: `the message ${p.params.messageId} could not be read to check its recipients` };
        break;
      case 'gmail.send':
      case 'gmail.drafts.create':
        if (p.params.replyToMessageId !== undefined) {
          original = await readMessage(p.params.replyToMessageId);
          if (!original) {
            return {
              unavailable: `the message ${p.params.replyToMessageId} could not be read to check its recipients`,
            };
          }
        }
        break;
      default:
        break;
    }
    const threadId =
      original?.threadId ||
      ('threadId' in p.params && typeof p.params.threadId === 'string' ? p.params.threadId : undefined);
    const thread = threadId ? ((await readThread(threadId)) ?? undefined) : undefined;
    const isDraft = p.action === 'gmail.drafts.send' || p.action === 'gmail.drafts.update';
    return {
      ...(original ? { original } : {}),
      ...(thread ? { thread } : {}),
      ...(isDraft && original ? { draft: original } : {}),
    };
  }

  /** Whether the rules alone deny (or cannot be evaluated): decide() then never looks at the facts. */
  function rulesDeny(p: StoredProposal, lockdown: LockdownState): boolean {
    const rules = evaluatePolicy(src.policy, { action: p.action, principal: p.principal, lockdown });
    return !rules.ok || rules.decision.effect === 'deny';
  }

  async function gather(p: StoredProposal): Promise<GatheredFacts> {
    const base = {
      guarded: true,
      lockdown: src.lockdown(p.principal),
      internalDomains: src.internalDomains,
      taint: src.taint(p.principal),
    };
    // When the rules alone deny (a lockdown, the command gate, a deny rule), no fact can change that
    // (decide() stops at the rules' denial): such proposals cost no gog reads, so a denied forward or a
    // locked agent cannot make the sidecar spawn gog.
    if (!OUTBOUND_ACTIONS.has(p.action) || rulesDeny(p, base.lockdown)) {
      return { facts: { ...base, recipients: null, capHeadroom: null }, card: {} };
    }
    // A draft with a send waiting for approval is frozen: the owner approves what they saw.
    if (p.action === 'gmail.drafts.update') {
      const pending = src.pendingDraftSend(p.params.draftId);
      if (pending !== null) {
        return {
          facts: {
            ...base,
            recipients: null,
            capHeadroom: null,
            draftSendPending: pending,
          },
          card: {},
        };
      }
    }
    const ctx = await context(p);
    if ('unavailable' in ctx) {
      return { facts: { ...base, recipients: null, capHeadroom: null, unavailable: ctx.unavailable }, card: {} };
    }
    const recipients = withAttendees(
      deriveRecipients(p.action, p.params, ctx.original, src.owner),
      ctx.attendees,
      src.owner,
    );
    const caps = src.capsFor(p);
    const headroom = caps ? caps.headroom(p.principal, 1) : null;
    const participants = ctx.thread && policy.outbound.replyOnly ? participantsOf(ctx.thread) : undefined;
    const facts: Facts = {
      ...base,
      recipients,
      ...(ctx.original ? { original: ctx.original } : {}),
      ...(participants ? { threadParticipants: participants } : {}),
      capHeadroom: headroom,
    };
    return {
      facts,
      card: cardOf(p, recipients, ctx),
      ...(p.action === 'gmail.drafts.send' && ctx.draft ? { draftDigest: draftDigest(ctx.draft) } : {}),
    };
  }

  /** Adds an event's present attendees (the owner excepted) to those an update names. */
  function withAttendees(r: Recipients, attendees: readonly string[] | undefined, owner: string): Recipients {
    if (!attendees) return r;
    const me = owner.toLowerCase();
    const extra = [
      ...new Set(attendees.map((a) => a.toLowerCase()).filter((a) => a !== me && !r.recipients.includes(a))),
    ];
    return {
      ...r,
      recipients: [...r.recipients, ...extra],
      derived: [...r.derived, ...extra.map((address) => ({ address, source: 'attendee' as const }))],
    };
  }

  const standingPolicy = () => ({
    internalDomains: src.internalDomains,
    allowRecipients: policy.outbound.allowRecipients,
    allowDomains: policy.outbound.allowDomains,
  });

  /** What the approval card shows: every recipient with its standing, the draft, the original, the thread. */
  function cardOf(
    p: StoredProposal,
    recipients: ReturnType<typeof deriveRecipients>,
    ctx: { original?: OriginalMessage; thread?: Message[]; draft?: Message; attendees?: string[] },
  ): Record<string, unknown> {
    const { original, thread, draft } = ctx;
    return {
      derivedRecipients: recipients.derived.map((r) => {
        const parsed = parseAddress(r.address);
        const standing = parsed.ok ? standingOf(parsed, standingPolicy()) : 'outside';
        return { address: r.address, source: r.source, standing };
      }),
      recipientsComplete: recipients.complete,
      ...(p.action === 'gmail.forward' && original
        ? { attachments: original.attachments.map(({ filename, mimeType, size }) => ({ filename, mimeType, size })) }
        : {}),
      ...(thread && thread.length > 0 && (original?.threadId ?? '') !== ''
        ? {
            thread: {
              id: original?.threadId,
              subject: thread[0]!.subject,
              messages: thread.map((m) => ({ from: m.from, date: m.date, snippet: m.body.slice(0, 280) })),
            },
          }
        : {}),
      internalDomains: src.internalDomains,
      allowRecipients: policy.outbound.allowRecipients,
      allowDomains: policy.outbound.allowDomains,
      ...(p.action === 'gmail.drafts.update' && draft ? { currentDraft: draftContent(draft) } : {}),
      ...(p.action === 'gmail.drafts.send' && draft
        ? { draft: { ...draftContent(draft), digest: draftDigest(draft) } }
        : {}),
      ...(original
        ? {
            original: {
              id: original.id,
              threadId: original.threadId,
              from: original.from,
              subject: original.subject,
              date: original.date,
            },
          }
        : {}),
    };
  }

  return { gather, readDraft: src.executor.readDraft };
}

export type FactGatherer = ReturnType<typeof createFactGatherer>;

/** Whether an action's send counts against a cap bucket (mail sends; calendar invites when mailed). */
export function capsBucket(p: StoredProposal, policy: CompiledPolicy): 'mail' | 'calendar' | null {
  const spec = ACTIONS[p.action];
  if (spec.reaches === 'recipients' && spec.delivers) return 'mail';
  if (spec.reaches === 'attendees' && spec.delivers && policy.policy.calendar.writes.sendUpdates !== 'none') {
    return 'calendar';
  }
  return null;
}
