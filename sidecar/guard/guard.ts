// Wires the content and outbound controls into the proposal life cycle: read bounds before gog, filters after,
// recipient checks and the exfiltration guard at submission, send caps around the side effect.
import {
  ACTION_CLASS,
  ACTION_NAMES,
  ACTIONS,
  type ActionName,
  type Message,
  MessageSchema,
  OUTBOUND_ACTIONS,
  SEND_ACTIONS,
} from '../../shared/index.ts';
import {
  checkCalendarWrite,
  checkOutbound,
  clampCalendarWindow,
  clampMax,
  clampSearchQuery,
  createSendCaps,
  deriveRecipients,
  extractAddresses,
  filterResult,
  type OriginalMessage,
  type OutboundVerdict,
  parseAddress,
  type SendCaps,
} from '../content/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import type { Assessment, Preflight, ProposalHooks, ProposalRow, StoredProposal } from '../proposals/index.ts';
import { unsealProposal } from '../proposals/index.ts';
import type { StateDb } from '../state/index.ts';
import { createTaintStore } from './taint-store.ts';

/** Calendar writes: the calendar rules (writes enabled, allowlisted calendar) apply to each. */
const CALENDAR_WRITES: ReadonlySet<ActionName> = new Set(
  ACTION_NAMES.filter((a) => ACTION_CLASS[a] === 'calendar_write'),
);
/** Calendar writes that can put mail in front of attendees. */
const CALENDAR_INVITES: ReadonlySet<ActionName> = new Set(
  ACTION_NAMES.filter((a) => ACTIONS[a].reaches === 'attendees' && ACTIONS[a].delivers),
);

export interface GuardDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  /** Reads the guard itself needs (the message being replied to or forwarded, its thread). */
  readonly executor: GogExecutor;
  /** The mailbox owner, never counted as a recipient. */
  readonly owner: string;
  readonly now: () => Date;
}

export interface Guard {
  readonly hooks: Required<Pick<ProposalHooks, 'assess' | 'preflight' | 'filterResult' | 'prepareParams'>>;
  /** Facts for the approval card: every recipient, where it came from and how the policy sees it. */
  describe(row: ProposalRow): Promise<Record<string, unknown>>;
}

function asAssessment(v: OutboundVerdict): Assessment | null {
  return v.effect === 'allow' ? null : { effect: v.effect, rules: v.rules, message: v.message };
}

export function createGuard(deps: GuardDeps): Guard {
  const { policy } = deps.policy;
  const taint = createTaintStore(deps.db, deps.now);
  const mailCaps: SendCaps = createSendCaps(deps.db, policy.outbound.caps, deps.now, { bucket: 'mail' });
  const calendarCaps: SendCaps = createSendCaps(deps.db, policy.calendar.writes.caps, deps.now, { bucket: 'calendar' });
  const internalDomains =
    policy.outbound.internalDomains.length > 0 ? policy.outbound.internalDomains : [domainOf(deps.owner)];
  // Without a configured organisation, the owner's own domain is internal: mail to colleagues is not "outside".
  const outbound = { ...policy.outbound, internalDomains };

  async function readMessage(messageId: string): Promise<OriginalMessage | null> {
    const out = await deps.executor.execute('gmail.get', { messageId });
    if (!out.ok) return null;
    const parsed = MessageSchema.safeParse((out.result as { message?: unknown }).message);
    return parsed.success ? parsed.data : null;
  }

  async function readThread(threadId: string): Promise<Message[] | null> {
    const out = await deps.executor.execute('gmail.thread.get', { threadId });
    if (!out.ok) return null;
    const messages = (out.result as { thread?: { messages?: unknown[] } }).thread?.messages ?? [];
    return messages.flatMap((m) => {
      const parsed = MessageSchema.safeParse(m);
      return parsed.success ? [parsed.data] : [];
    });
  }

  async function threadParticipants(threadId: string): Promise<string[] | null> {
    const messages = await readThread(threadId);
    return messages ? messages.flatMap((m) => [m.from, ...m.to, ...m.cc].flatMap(extractAddresses)) : null;
  }

  const draftRows = deps.db.prepare(
    `SELECT canonical, hash, result FROM proposals
      WHERE action IN ('gmail.drafts.create', 'gmail.drafts.update') AND status = 'executed'
      ORDER BY updated_at DESC LIMIT 1000`,
  );

  /**
   * A draft's current recipients, as mailwarden last wrote them. Drafts made elsewhere are unknown, and the
   * outbound check refuses to send what it cannot see.
   */
  function knownDraft(draftId: string): OriginalMessage | null {
    for (const row of draftRows.all() as { canonical: string; hash: string; result: string | null }[]) {
      const unsealed = unsealProposal(row.canonical, row.hash);
      if (!unsealed.ok) continue;
      const params = unsealed.proposal.params;
      const resultId = row.result ? (JSON.parse(row.result) as { draftId?: unknown }).draftId : undefined;
      const id = unsealed.proposal.action === 'gmail.drafts.update' ? params.draftId : resultId;
      if (id !== draftId) continue;
      const list = (k: string) => (Array.isArray(params[k]) ? (params[k] as string[]) : []);
      if (unsealed.proposal.action === 'gmail.drafts.update' && params.to === undefined) continue;
      return {
        id: draftId,
        threadId: typeof params.threadId === 'string' ? params.threadId : '',
        from: deps.owner,
        to: list('to'),
        cc: list('cc'),
        bcc: list('bcc'),
        date: '',
        subject: typeof params.subject === 'string' ? params.subject : '',
        labels: ['DRAFT'],
        body: typeof params.body === 'string' ? params.body : '',
        attachments: [],
      };
    }
    return null;
  }

  /** The message a reply or forward is about, and the thread a reply-only policy measures against. */
  async function context(p: StoredProposal) {
    const params = p.params;
    if (p.action === 'gmail.drafts.send' || p.action === 'gmail.drafts.update') {
      const draft = knownDraft(String(params.draftId));
      if (!draft) {
        return p.action === 'gmail.drafts.send'
          ? {
              unavailable: `draft ${String(params.draftId)} was not written through mailwarden, so its recipients cannot be checked`,
            }
          : { original: undefined, participants: undefined };
      }
      const participants =
        draft.threadId && policy.outbound.replyOnly ? await threadParticipants(draft.threadId) : null;
      return { original: draft, participants: participants ?? undefined };
    }
    const messageId =
      p.action === 'gmail.reply' || p.action === 'gmail.forward'
        ? String(params.messageId)
        : typeof params.replyToMessageId === 'string'
          ? params.replyToMessageId
          : null;
    const original = messageId ? await readMessage(messageId) : null;
    if (messageId && !original)
      return { unavailable: `the message ${messageId} could not be read to check its recipients` };
    const threadId = original?.threadId ?? (typeof params.threadId === 'string' ? params.threadId : null);
    const participants = threadId && policy.outbound.replyOnly ? await threadParticipants(threadId) : null;
    return { original: original ?? undefined, participants: participants ?? undefined };
  }

  async function assess(p: StoredProposal): Promise<Assessment | null> {
    const calendarRead = calendarReadRefusal(p);
    if (calendarRead) return calendarRead;
    const isCalendar = CALENDAR_WRITES.has(p.action);
    if (!OUTBOUND_ACTIONS.has(p.action) && !isCalendar) return null;
    const ctx = await context(p);
    if ('unavailable' in ctx) {
      return {
        effect: 'deny',
        rules: ['outbound.original_unavailable'],
        message: `${ctx.unavailable}; nothing was sent`,
      };
    }
    const recipients = deriveRecipients(p.action, p.params, ctx.original, deps.owner);
    const session = taint.get(p.principal);
    const input = {
      action: p.action,
      params: p.params,
      recipients,
      ...(ctx.original ? { original: ctx.original } : {}),
      ...(ctx.participants ? { threadParticipants: ctx.participants } : {}),
      session,
    };
    const verdict = isCalendar
      ? checkCalendarWrite({ ...input, outbound, calendar: policy.calendar })
      : checkOutbound({ ...input, policy: outbound });
    if (verdict.effect === 'deny') return asAssessment(verdict);
    // Caps: a pre-check at submission so a full cap is a clear denial; the real reservation is taken just
    // before the side effect, atomically.
    const caps = capsFor(p.action);
    if (caps) {
      const probe = caps.reserve(p.principal, 1);
      if (!probe.ok) return { effect: 'deny', rules: [probe.rule], message: probe.message };
      caps.release(probe.reservationId);
    }
    return asAssessment(verdict);
  }

  /** Calendar reads are bounded to the allowlisted calendars before gog is ever asked. */
  function calendarReadRefusal(p: StoredProposal): Assessment | null {
    const asked =
      p.action === 'calendar.event'
        ? [String(p.params.calendarId)]
        : p.action === 'calendar.events' && Array.isArray(p.params.calendarIds)
          ? (p.params.calendarIds as string[])
          : [];
    const outside = asked.filter((c) => !policy.calendar.calendars.includes(c));
    if (outside.length === 0) return null;
    return {
      effect: 'deny',
      rules: ['calendar.not_allowlisted'],
      message: `calendar ${outside.join(', ')} is not in calendar.calendars (${policy.calendar.calendars.join(', ')})`,
    };
  }

  function capsFor(action: ActionName): SendCaps | null {
    if (SEND_ACTIONS.has(action)) return mailCaps;
    if (CALENDAR_INVITES.has(action) && policy.calendar.writes.sendUpdates !== 'none') return calendarCaps;
    return null;
  }

  function preflight(p: StoredProposal): Preflight {
    const caps = capsFor(p.action);
    if (!caps) return { ok: true, settle() {} };
    const r = caps.reserve(p.principal, 1);
    if (!r.ok) return { ok: false, code: r.rule === 'caps.hourly' ? 'CAPS_HOURLY' : 'CAPS_DAILY', message: r.message };
    return {
      ok: true,
      settle(succeeded) {
        if (succeeded) caps.commit(r.reservationId);
        else caps.release(r.reservationId);
      },
    };
  }

  /** Read bounds are applied to what gog is asked, so the agent cannot widen them with its own query. */
  function prepareParams(p: StoredProposal): { params: Record<string, unknown> } | { result: unknown } {
    const now = deps.now();
    switch (p.action) {
      case 'gmail.search':
        return {
          params: {
            ...p.params,
            query: clampSearchQuery(String(p.params.query), policy.content.lookbackDays, now),
            max: clampMax(typeof p.params.max === 'number' ? p.params.max : undefined, policy.content),
          },
        };
      case 'calendar.events': {
        const w = clampCalendarWindow(
          typeof p.params.start === 'string' ? p.params.start : undefined,
          typeof p.params.end === 'string' ? p.params.end : undefined,
          policy.calendar,
          now,
        );
        if (w.empty) return { result: { events: [], nextPageToken: null } };
        const wanted = Array.isArray(p.params.calendarIds)
          ? (p.params.calendarIds as string[])
          : policy.calendar.calendars;
        return {
          params: {
            ...p.params,
            start: w.start,
            end: w.end,
            calendarIds: wanted.filter((c) => policy.calendar.calendars.includes(c)),
            max: clampMax(typeof p.params.max === 'number' ? p.params.max : undefined, policy.content),
          },
        };
      }
      default:
        return { params: p.params };
    }
  }

  function filter(p: StoredProposal, result: unknown): unknown {
    if (ACTION_CLASS[p.action] !== 'read') return result;
    // Remember what was read before filtering: a withheld code must still never leave in a later send.
    taint.note(p.principal, result, internalDomains);
    const out = filterResult(
      p.action,
      result,
      { content: policy.content, calendar: policy.calendar, internalDomains },
      deps.now(),
    );
    if (out.notes.length === 0) return out.result;
    return { ...(out.result as Record<string, unknown>), notices: out.notes };
  }

  async function threadSummary(threadId: string): Promise<Record<string, unknown>> {
    const messages = await readThread(threadId);
    if (!messages || messages.length === 0) return {};
    return {
      thread: {
        id: threadId,
        subject: messages[0]!.subject,
        messages: messages.map((m) => ({ from: m.from, date: m.date, snippet: m.body.slice(0, 280) })),
      },
    };
  }

  async function describe(row: ProposalRow): Promise<Record<string, unknown>> {
    const unsealed = unsealProposal(row.canonical, row.hash);
    if (!unsealed.ok || (!OUTBOUND_ACTIONS.has(row.action) && !CALENDAR_WRITES.has(row.action))) return {};
    const ctx = await context(unsealed.proposal);
    const original = 'original' in ctx ? ctx.original : undefined;
    const recipients = deriveRecipients(row.action, unsealed.proposal.params, original, deps.owner);
    const allowExact = new Set(policy.outbound.allowRecipients.map((a) => a.toLowerCase()));
    const allowDomains = policy.outbound.allowDomains.map((d) => d.toLowerCase());
    return {
      derivedRecipients: recipients.derived.map((r) => {
        const parsed = parseAddress(r.address);
        const domain = parsed.ok ? parsed.domain : domainOf(r.address);
        const standing = internalDomains.includes(domain)
          ? 'internal'
          : allowExact.has(r.address) || allowDomains.includes(domain)
            ? 'allowlisted'
            : 'outside';
        return { address: r.address, source: r.source, standing };
      }),
      recipientsComplete: recipients.complete,
      // What goes along with a forward, and the conversation a reply or forward belongs to.
      ...(row.action === 'gmail.forward' && original
        ? {
            attachments: original.attachments.map((a) => ({
              filename: a.filename,
              mimeType: a.mimeType,
              size: a.size,
            })),
          }
        : {}),
      ...(original?.threadId ? await threadSummary(original.threadId) : {}),
      internalDomains,
      allowRecipients: policy.outbound.allowRecipients,
      allowDomains: policy.outbound.allowDomains,
      ...(row.action === 'gmail.drafts.update' && original
        ? {
            currentDraft: {
              to: original.to,
              cc: original.cc,
              bcc: original.bcc,
              subject: original.subject,
              body: original.body,
            },
          }
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

  return { hooks: { assess, preflight, filterResult: filter, prepareParams }, describe };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
