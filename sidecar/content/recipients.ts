// Derives everyone an outbound action reaches: to/cc/bcc, reply and reply-all targets, forwards, attendees.
import type { ActionName } from '../../shared/actions.ts';
import type { Message } from '../../shared/results.ts';
import { extractAddresses } from './address.ts';

export type RecipientSource = 'to' | 'cc' | 'bcc' | 'reply' | 'reply_all' | 'forward' | 'attendee';

export interface DerivedRecipient {
  address: string;
  source: RecipientSource;
}

export interface Recipients {
  /** Unique addresses (lower-cased, as given; strict parsing happens in checkOutbound). */
  recipients: string[];
  derived: DerivedRecipient[];
  /**
   * False when the recipients depend on a message the caller did not supply (reply without the original,
   * drafts.send without the draft). SECURITY: checkOutbound refuses incomplete sets.
   */
  complete: boolean;
}

/** The message being answered or forwarded (or the draft being sent), with its Reply-To if the normaliser has it. */
export type OriginalMessage = Message & { replyTo?: readonly string[] };

function list(params: Record<string, unknown>, key: string): string[] {
  const v = params[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function deriveRecipients(
  action: ActionName,
  params: Record<string, unknown>,
  original: OriginalMessage | undefined,
  owner: string,
): Recipients {
  const derived: DerivedRecipient[] = [];
  const me = owner.toLowerCase();
  const add = (addresses: readonly string[], source: RecipientSource) => {
    for (const a of addresses) derived.push({ address: a.toLowerCase(), source });
  };
  const fromHeaders = (headers: readonly string[]) => headers.flatMap(extractAddresses);
  let complete = true;

  switch (action) {
    case 'gmail.send':
    case 'gmail.drafts.create':
    case 'gmail.drafts.update':
      add(list(params, 'to'), 'to');
      add(list(params, 'cc'), 'cc');
      add(list(params, 'bcc'), 'bcc');
      // A draft update without `to` keeps the draft's recipients: they still count.
      if (action === 'gmail.drafts.update' && original !== undefined) {
        if (params['to'] === undefined) add(fromHeaders(original.to), 'to');
        if (params['cc'] === undefined) add(fromHeaders(original.cc), 'cc');
        if (params['bcc'] === undefined) add(fromHeaders(original.bcc), 'bcc');
      }
      break;
    case 'gmail.drafts.send':
      if (original === undefined) complete = false;
      else {
        add(fromHeaders(original.to), 'to');
        add(fromHeaders(original.cc), 'cc');
        add(fromHeaders(original.bcc), 'bcc');
      }
      break;
    case 'gmail.reply': {
      if (original === undefined) complete = false;
      else {
        let replyTarget =
          original.replyTo !== undefined && original.replyTo.length > 0
            ? fromHeaders(original.replyTo)
            : extractAddresses(original.from);
        // Answering one's own sent mail goes to its recipients, as mail clients do.
        if (replyTarget.every((a) => a.toLowerCase() === me)) replyTarget = fromHeaders(original.to);
        add(replyTarget, 'reply');
        if (params['replyAll'] === true) {
          const others = [...extractAddresses(original.from), ...fromHeaders(original.to), ...fromHeaders(original.cc)];
          add(
            others.filter((a) => a.toLowerCase() !== me),
            'reply_all',
          );
        }
      }
      add(list(params, 'cc'), 'cc');
      add(list(params, 'bcc'), 'bcc');
      break;
    }
    case 'gmail.forward':
      add(list(params, 'to'), 'forward');
      add(list(params, 'cc'), 'cc');
      add(list(params, 'bcc'), 'bcc');
      break;
    case 'calendar.create':
    case 'calendar.update':
      add(list(params, 'attendees'), 'attendee');
      break;
    default:
      break;
  }
  // Replying to oneself is not an outbound recipient, but explicitly addressed mail to the owner is kept.
  const filtered = derived.filter((d) => !(d.source === 'reply' && d.address === me));
  const recipients = [...new Set(filtered.map((d) => d.address))];
  return { recipients, derived: filtered, complete };
}

/** How the outbound rules see one recipient. */
export type Standing = 'internal' | 'allowlisted' | 'outside';

export interface StandingPolicy {
  readonly internalDomains: readonly string[];
  readonly allowRecipients: readonly string[];
  readonly allowDomains: readonly string[];
}

/**
 * The one judgement of a parsed recipient (lower-cased address and domain): inside the organisation, on an
 * allowlist. SECURITY: domains match exactly; a subdomain or a look-alike suffix is neither.
 */
export function judgeRecipient(
  r: { readonly address: string; readonly domain: string },
  policy: StandingPolicy,
): { readonly internal: boolean; readonly allowlisted: boolean } {
  return {
    internal: policy.internalDomains.includes(r.domain),
    allowlisted: policy.allowRecipients.includes(r.address) || policy.allowDomains.includes(r.domain),
  };
}

/** A recipient's standing as the approval card shows it: internal wins over allowlisted. */
export function standingOf(r: { readonly address: string; readonly domain: string }, policy: StandingPolicy): Standing {
  const j = judgeRecipient(r, policy);
  return j.internal ? 'internal' : j.allowlisted ? 'allowlisted' : 'outside';
}
