// Wires the content and outbound controls into the proposal life cycle: facts for the decision at submission,
// the draft re-check and send caps around the side effect, read bounds before gog and filters after.
import { ACTION_CLASS, type Sha256Digest } from '../../shared/index.ts';
import {
  clampCalendarWindow,
  clampMax,
  clampSearchQuery,
  createSendCaps,
  filterResult,
  type SendCaps,
} from '../content/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import type { CompiledPolicy, LockdownState } from '../policy/index.ts';
import type { ExecutionControls, Preflight, ProposalRow, StoredProposal } from '../proposals/index.ts';
import type { StateDb } from '../state/index.ts';
import { capsBucket, createFactGatherer, draftDigest, type GatheredFacts } from './facts.ts';
import { createTaintStore } from './taint-store.ts';

export interface GuardDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  /** Reads the guard itself needs (the message being replied to or forwarded, its thread, a draft). */
  readonly executor: GogExecutor;
  /** The mailbox owner, never counted as a recipient. */
  readonly owner: string;
  readonly now: () => Date;
  readonly lockdown: (principal: string) => LockdownState;
}

/** The guard implements the life cycle's ExecutionControls (proposals/service.ts). */
export interface Guard {
  gather(p: StoredProposal): Promise<GatheredFacts>;
  readonly execution: ExecutionControls;
  /** The approval card's facts, as they were gathered when the proposal was decided. */
  describe(row: ProposalRow): Record<string, unknown>;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function createGuard(deps: GuardDeps): Guard {
  const { policy } = deps.policy;
  const taint = createTaintStore(deps.db, deps.now);
  const caps: Record<'mail' | 'calendar', SendCaps> = {
    mail: createSendCaps(deps.db, policy.outbound.caps, deps.now, { bucket: 'mail' }),
    calendar: createSendCaps(deps.db, policy.calendar.writes.caps, deps.now, { bucket: 'calendar' }),
  };
  // Without a configured organisation, the owner's own domain is internal: mail to colleagues is not "outside".
  const internalDomains =
    policy.outbound.internalDomains.length > 0 ? policy.outbound.internalDomains : [domainOf(deps.owner)];
  const capsFor = (p: StoredProposal): SendCaps | null => {
    const bucket = capsBucket(p, deps.policy);
    return bucket ? caps[bucket] : null;
  };
  const pendingSend = deps.db.prepare(
    `SELECT id FROM proposals
      WHERE action = 'gmail.drafts.send' AND status IN ('pending_approval', 'approved')
        AND json_extract(canonical, '$.params.draftId') = ? LIMIT 1`,
  );
  const facts = createFactGatherer({
    policy: deps.policy,
    executor: deps.executor,
    owner: deps.owner,
    internalDomains,
    lockdown: deps.lockdown,
    taint: (principal) => taint.get(principal),
    capsFor,
    pendingDraftSend: (draftId) => (pendingSend.get(draftId) as { id: string } | undefined)?.id ?? null,
  });

  function preflight(p: StoredProposal): Preflight {
    const bucket = capsFor(p);
    if (!bucket) return { ok: true, settle() {} };
    const r = bucket.reserve(p.principal, 1);
    if (!r.ok) return { ok: false, code: r.rule === 'caps.hourly' ? 'CAPS_HOURLY' : 'CAPS_DAILY', message: r.message };
    return {
      ok: true,
      settle(succeeded) {
        if (succeeded) bucket.commit(r.reservationId);
        else bucket.release(r.reservationId);
      },
    };
  }

  async function recheck(p: StoredProposal, bound: Sha256Digest | undefined) {
    if (p.action !== 'gmail.drafts.send') return { ok: true as const };
    const read = await deps.executor.readDraft(p.params.draftId);
    if (!read.ok) {
      return {
        ok: false as const,
        code: 'DRAFT_UNAVAILABLE',
        message: `draft ${p.params.draftId} could not be read again before sending (${read.code}); nothing was sent`,
      };
    }
    if (bound === undefined || draftDigest(read.draft) !== bound) {
      return {
        ok: false as const,
        code: 'DRAFT_CHANGED',
        message: `draft ${p.params.draftId} changed after it was decided on; nothing was sent. Propose the send again so the owner sees the draft as it is now`,
      };
    }
    return { ok: true as const };
  }

  /** Read bounds are applied to what gog is asked, so the agent cannot widen them with its own query. */
  function prepare(p: StoredProposal): { params: StoredProposal['params'] } | { result: unknown } {
    const now = deps.now();
    switch (p.action) {
      case 'gmail.search':
        return {
          params: {
            ...p.params,
            query: clampSearchQuery(p.params.query, policy.content.lookbackDays, now),
            max: clampMax(p.params.max, policy.content),
          },
        };
      case 'calendar.events': {
        const w = clampCalendarWindow(p.params.start, p.params.end, policy.calendar, now);
        if (w.empty) return { result: { events: [], nextPageToken: null } };
        const wanted = p.params.calendarIds ?? policy.calendar.calendars;
        return {
          params: {
            ...p.params,
            start: w.start,
            end: w.end,
            calendarIds: wanted.filter((c) => policy.calendar.calendars.includes(c)),
            max: clampMax(p.params.max, policy.content),
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
    taint.note(p.principal, p.action, result, internalDomains);
    const out = filterResult(
      p.action,
      result,
      { content: policy.content, calendar: policy.calendar, internalDomains },
      deps.now(),
    );
    if (out.notes.length === 0) return out.result;
    return { ...(out.result as Record<string, unknown>), notices: out.notes };
  }

  function describe(row: ProposalRow): Record<string, unknown> {
    const stored = JSON.parse(row.decision) as { facts?: Record<string, unknown> };
    return stored.facts ?? {};
  }

  return {
    gather: (p) => facts.gather(p),
    execution: { preflight, recheck, prepare, filter },
    describe,
  };
}
