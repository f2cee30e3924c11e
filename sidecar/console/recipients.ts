// Marks every recipient on an approval card as internal, allowlisted or outside, so the risky ones stand out.
import { z } from 'zod';

export type RecipientKind = 'internal' | 'allowlisted' | 'outside';

export interface MarkedRecipient {
  readonly address: string;
  /** Where the address comes from: to, cc, bcc, attendee, or a derived source (reply, reply_all, forward). */
  readonly source: string;
  readonly kind: RecipientKind;
}

// The card is the sidecar's answer, so it is parsed, not trusted: unknown shapes simply add no recipients.
const AddressListSchema = z.array(z.string().max(320)).max(5000);
const CardRecipientsSchema = z.object({
  params: z
    .object({
      to: AddressListSchema.optional(),
      cc: AddressListSchema.optional(),
      bcc: AddressListSchema.optional(),
      attendees: AddressListSchema.optional(),
    })
    .nullish(),
  derivedRecipients: z
    .array(
      z.object({
        address: z.string().max(320),
        source: z.string().max(64),
        standing: z.enum(['internal', 'allowlisted', 'outside']).optional(),
      }),
    )
    .max(5000)
    .optional()
    .catch(undefined),
  allowlist: z
    .object({ recipients: AddressListSchema.optional(), domains: AddressListSchema.optional() })
    .optional()
    .catch(undefined),
  internalDomains: AddressListSchema.optional().catch(undefined),
  allowRecipients: AddressListSchema.optional().catch(undefined),
  allowDomains: AddressListSchema.optional().catch(undefined),
});

const domainOf = (address: string) => {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
};

/**
 * The sidecar states each recipient's standing on the card (judged by the same code that enforces the rules);
 * that standing is shown as is. Only for cards that carry none is it worked out here, the same way:
 * internal means the account's own domain (the `gog.account` of the config) or a domain the card lists in
 * `internalDomains` (the policy's outbound.internalDomains); allowlisted means named by an
 * allowlist the card carries (exact address, or exactly that domain); everything else is outside.
 */
export function markRecipients(card: unknown, account: string): MarkedRecipient[] {
  const parsed = CardRecipientsSchema.safeParse(card);
  if (!parsed.success) return [];
  const c = parsed.data;
  const internal = new Set([domainOf(account), ...(c.internalDomains ?? []).map((d) => d.toLowerCase())]);
  internal.delete('');
  const allowAddresses = new Set(
    [...(c.allowlist?.recipients ?? []), ...(c.allowRecipients ?? [])].map((a) => a.toLowerCase()),
  );
  const allowDomains = [...(c.allowlist?.domains ?? []), ...(c.allowDomains ?? [])].map((d) =>
    d.toLowerCase().replace(/^@/, ''),
  );

  const kindOf = (address: string): RecipientKind => {
    const a = address.toLowerCase();
    const d = domainOf(a);
    // SECURITY: an exact domain match only; "example.com.evil.net" is not internal for "example.com".
    if (internal.has(d)) return 'internal';
    if (allowAddresses.has(a)) return 'allowlisted';
    // SECURITY: exactly the domain, as enforcement matches it; a subdomain must be listed itself.
    if (allowDomains.some((x) => x !== '' && d === x)) return 'allowlisted';
    return 'outside';
  };

  const out: MarkedRecipient[] = [];
  const seen = new Set<string>();
  const stated = new Map<string, RecipientKind>();
  for (const r of c.derivedRecipients ?? []) if (r.standing) stated.set(r.address.toLowerCase(), r.standing);
  const add = (address: string, source: string) => {
    const key = `${source}\u0000${address.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ address, source, kind: stated.get(address.toLowerCase()) ?? kindOf(address) });
  };
  for (const source of ['to', 'cc', 'bcc', 'attendees'] as const) {
    for (const a of c.params?.[source] ?? []) add(a, source === 'attendees' ? 'attendee' : source);
  }
  // Derived recipients repeat the explicit ones; only those from elsewhere (a reply target, a forward) are new.
  const explicit = new Set(out.map((r) => r.address.toLowerCase()));
  for (const r of c.derivedRecipients ?? []) {
    if (!explicit.has(r.address.toLowerCase())) add(r.address, r.source);
  }
  return out;
}
