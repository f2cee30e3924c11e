// The one decision on a proposal: pure, from the policy, the proposal and the facts gathered for it.
// The rules (lockdown, command gate, rule effects) come first; then what the action reaches is judged on
// the facts (recipients, the original or the draft as gog holds it, the thread, what the agent read, the
// send caps). Nothing here does I/O, so the same inputs always give the same decision.
import { ACTIONS, type ActionSpec, type Effect } from '../../shared/index.ts';
import {
  checkCalendarWrite,
  checkOutbound,
  type OriginalMessage,
  type OutboundPolicy,
  type OutboundSession,
  type OutboundVerdict,
  type Recipients,
} from '../content/index.ts';
import { type CompiledPolicy, type Decision, evaluatePolicy, type LockdownState, stricter } from './evaluate.ts';

/** What a decision needs to know about the world, gathered before deciding (guard/facts.ts). */
export interface Facts {
  readonly lockdown: LockdownState;
  /**
   * Whether the content and outbound guard gathered these facts. Without a mailbox owner configured (embedded
   * cores in tests) only the rules decide.
   */
  readonly guarded: boolean;
  /** The organisation's domains: the policy's, or the owner's own domain when the policy names none. */
  readonly internalDomains: readonly string[];
  /** Everyone the action reaches (null for actions that reach no one). */
  readonly recipients: Recipients | null;
  /** The message a reply or forward is about, or the draft being sent or changed, as gog holds it. */
  readonly original?: OriginalMessage | undefined;
  /** Everyone already in the thread, when the policy is reply-only. */
  readonly threadParticipants?: readonly string[] | undefined;
  /** What this agent read recently: the exfiltration guard's input. */
  readonly taint: OutboundSession;
  /** Room under the send caps that apply to this action; null when none applies. */
  readonly capHeadroom:
    | { readonly ok: true }
    | { readonly ok: false; readonly rule: string; readonly message: string }
    | null;
  /** A send of this very draft waits for approval (its proposal id): the draft is frozen until then. */
  readonly draftSendPending?: string | undefined;
  /** A fact that could not be gathered: whatever it would have decided, nothing goes out. */
  readonly unavailable?: string | undefined;
}

/** A proposal as the decision sees it. */
export interface Proposed {
  readonly action: keyof typeof ACTIONS;
  readonly params: Readonly<Record<string, unknown>>;
  readonly principal: string;
}

export type Verdict = { ok: true; decision: Decision } | { ok: false; error: string };

function deny(rules: string[], message: string, policyDigest: string): Decision {
  return { effect: 'deny', rules, message, policyDigest };
}

/** Calendar reads are bounded to the allowlisted calendars before gog is ever asked. */
function calendarReadRefusal(compiled: CompiledPolicy, p: Proposed): Decision | null {
  const { calendar } = compiled.policy;
  const asked =
    p.action === 'calendar.event'
      ? [String(p.params.calendarId)]
      : p.action === 'calendar.events' && Array.isArray(p.params.calendarIds)
        ? (p.params.calendarIds as string[])
        : [];
  const outside = asked.filter((c) => !calendar.calendars.includes(c));
  if (outside.length === 0) return null;
  return deny(
    ['calendar.not_allowlisted'],
    `calendar ${outside.join(', ')} is not in calendar.calendars (${calendar.calendars.join(', ')})`,
    compiled.digest,
  );
}

/** The outbound rules on what the action reaches, or null when it reaches no one. */
function judgeReach(compiled: CompiledPolicy, p: Proposed, facts: Facts): OutboundVerdict | null {
  const { policy } = compiled;
  const spec: ActionSpec = ACTIONS[p.action];
  if (!facts.guarded || (spec.reaches === 'none' && spec.class !== 'calendar_write')) return null;
  if (facts.draftSendPending !== undefined) {
    return {
      effect: 'deny',
      rules: ['drafts.send_pending'],
      message: `the draft has a send waiting for the owner's approval (proposal ${facts.draftSendPending}); it cannot change until that send is decided or cancelled`,
    };
  }
  if (facts.unavailable !== undefined) {
    return {
      effect: 'deny',
      rules: ['outbound.original_unavailable'],
      message: `${facts.unavailable}; nothing was sent`,
    };
  }
  const outbound: OutboundPolicy = { ...policy.outbound, internalDomains: [...facts.internalDomains] };
  const input = {
    action: p.action,
    params: p.params as Record<string, unknown>,
    recipients: facts.recipients ?? [],
    ...(facts.original ? { original: facts.original } : {}),
    ...(facts.threadParticipants ? { threadParticipants: facts.threadParticipants } : {}),
    session: facts.taint,
  };
  const verdict =
    spec.class === 'calendar_write'
      ? checkCalendarWrite({ ...input, outbound, calendar: policy.calendar })
      : checkOutbound({ ...input, policy: outbound });
  if (verdict.effect === 'deny') return verdict;
  // A full cap is a clear denial now; the real reservation is taken just before the side effect.
  if (facts.capHeadroom && !facts.capHeadroom.ok) {
    return { effect: 'deny', rules: [facts.capHeadroom.rule], message: facts.capHeadroom.message };
  }
  return verdict;
}

/**
 * decide(policy, proposal, facts): the rules' effect, made stricter by what the facts show. An evaluator
 * error is reported, never turned into an allow.
 */
export function decide(compiled: CompiledPolicy, p: Proposed, facts: Facts): Verdict {
  const outcome = evaluatePolicy(compiled, { action: p.action, principal: p.principal, lockdown: facts.lockdown });
  if (!outcome.ok) return outcome;
  const base = outcome.decision;
  if (base.effect === 'deny') return outcome;
  const calendarRead = facts.guarded ? calendarReadRefusal(compiled, p) : null;
  if (calendarRead) return { ok: true, decision: mergeDecision(base, calendarRead) };
  const reach = judgeReach(compiled, p, facts);
  if (reach === null || reach.effect === 'allow') return outcome;
  return { ok: true, decision: mergeDecision(base, { ...reach, policyDigest: base.policyDigest }) };
}

/**
 * The stricter effect wins; an escalation to the same effect still adds its reasons, so the approval card says
 * why (e.g. "this agent read outside mail").
 */
function mergeDecision(
  base: Decision,
  extra: Decision | (OutboundVerdict & { effect: Effect; rules: string[] }),
): Decision {
  if (extra.effect === 'allow') return base;
  const effect = stricter(base.effect, extra.effect);
  const escalates = effect !== base.effect;
  return {
    effect,
    rules: [...extra.rules, ...base.rules],
    message: escalates ? extra.message : `${base.message}; also: ${extra.message}`,
    policyDigest: base.policyDigest,
  };
}
