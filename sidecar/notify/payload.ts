// What a notification says: enough to decide to look, never the mail itself (unless the owner opts in to the subject).

/** The events a sink can subscribe to. */
export type NotifyEvent = 'approval_pending';

export interface NotificationPayload {
  readonly v: 1;
  readonly event: NotifyEvent;
  readonly proposalId: string;
  readonly action: string;
  /** The agent that proposed it. */
  readonly agent: string;
  readonly recipients: {
    readonly count: number;
    /** Distinct domains, lower-case, sorted; never the local parts. */
    readonly domains: readonly string[];
    /** False when the proposal names no addresses itself (e.g. sending an existing draft). */
    readonly known: boolean;
  };
  /** Ids of the policy rules and guards that asked for approval. */
  readonly rules: readonly string[];
  readonly expiresAt: string;
  /** The console's card for this proposal, or null when no console address is configured. */
  readonly link: string | null;
  /** Only when notify.includeSubject is true. */
  readonly subject?: string;
}

export interface PendingFacts {
  readonly proposalId: string;
  readonly action: string;
  readonly principal: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly rules: readonly string[];
  readonly expiresAt: string;
}

export interface PayloadOptions {
  readonly consoleUrl?: string | undefined;
  readonly includeSubject: boolean;
}

const ADDRESS_FIELDS = ['to', 'cc', 'bcc', 'attendees'] as const;

function addressesOf(params: Readonly<Record<string, unknown>>): string[] | null {
  const found: string[] = [];
  let named = false;
  for (const field of ADDRESS_FIELDS) {
    const v = params[field];
    if (!Array.isArray(v)) continue;
    named = true;
    for (const a of v) if (typeof a === 'string') found.push(a.trim().toLowerCase());
  }
  return named ? found : null;
}

function domainOf(address: string): string | null {
  // Addresses may be written "Name <user@host>"; the domain is what follows the last @ up to a closing >.
  const m = /@([^@\s<>]+)>?\s*$/.exec(address.trim());
  return m ? m[1]!.toLowerCase() : null;
}

/** The console's card link: the console routes `#/p/<id>` to the card. */
export function cardLink(consoleUrl: string, proposalId: string): string {
  const base = consoleUrl.endsWith('/') ? consoleUrl : `${consoleUrl}/`;
  return `${base}#/p/${encodeURIComponent(proposalId)}`;
}

export function buildPendingPayload(facts: PendingFacts, opts: PayloadOptions): NotificationPayload {
  const addresses = addressesOf(facts.params);
  const domains = new Set<string>();
  for (const a of addresses ?? []) {
    const d = domainOf(a);
    if (d) domains.add(d);
  }
  const subject = facts.params['subject'];
  return {
    v: 1,
    event: 'approval_pending',
    proposalId: facts.proposalId,
    action: facts.action,
    agent: facts.principal,
    recipients: { count: new Set(addresses ?? []).size, domains: [...domains].sort(), known: addresses !== null },
    rules: [...facts.rules],
    expiresAt: facts.expiresAt,
    link: opts.consoleUrl ? cardLink(opts.consoleUrl, facts.proposalId) : null,
    ...(opts.includeSubject && typeof subject === 'string' ? { subject } : {}),
  };
}

/** One line a person reads on a lock screen (ntfy's message body). */
export function summaryLine(p: NotificationPayload): string {
  const who = p.recipients.known
    ? `${p.recipients.count} recipient${p.recipients.count === 1 ? '' : 's'}${p.recipients.domains.length > 0 ? ` at ${p.recipients.domains.join(', ')}` : ''}`
    : 'recipients shown on the card';
  const subject = p.subject !== undefined ? `\nSubject: ${p.subject}` : '';
  return `${p.agent} asks to ${p.action} to ${who}. Why: ${p.rules.join(', ') || 'policy'}. Expires ${p.expiresAt}.${subject}`;
}
