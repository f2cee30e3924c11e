// Strict zod schemas (with safe defaults) for the `content:`, `outbound:` and `calendar:` policy sections.
import { z } from 'zod';

/** True when the runtime knows this IANA zone name. */
function isIanaTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const DomainSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/,
    'must be a plain ASCII domain like "example.com" (no "@", no trailing dot, no wildcard)',
  )
  .transform((d) => d.toLowerCase());

const ExactAddressSchema = z
  .string()
  .max(320)
  .regex(/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/, 'must be a bare address like "a@example.com"')
  .transform((a) => a.toLowerCase());

const CapsSchema = z.strictObject({
  perHour: z.number().int().min(0).max(100_000).default(5),
  perDay: z.number().int().min(0).max(1_000_000).default(25),
});
export type CapsPolicy = z.infer<typeof CapsSchema>;

export const ContentPolicySchema = z.strictObject({
  securityMail: z
    .strictObject({
      /** redact (default): replace the secret by a marker; block: withhold body and attachments; warn: a notice only. */
      mode: z.enum(['block', 'redact', 'warn']).default('redact'),
    })
    .default({ mode: 'redact' }),
  /** Searches never reach further back than this many days. */
  lookbackDays: z.number().int().min(1).max(3650).default(2),
  /** Upper bound on `max` for searches and event listings; also caps the items returned. */
  maxResults: z.number().int().min(1).max(500).default(25),
  /** latest_only: each message loses its quoted history (the previous mails copied below a reply). */
  threadMode: z.enum(['full', 'latest_only']).default('latest_only'),
  attachments: z
    .strictObject({
      maxBytes: z
        .number()
        .int()
        .min(0)
        .max(100 * 1024 * 1024)
        .default(10 * 1024 * 1024),
      /** MIME types or families ("image/*"); an attachment of any other type is withheld. */
      allowedTypes: z
        .array(
          z
            .string()
            .regex(/^[a-z0-9][a-z0-9.+-]*\/(\*|[a-z0-9][a-z0-9.+-]*)$/, 'must be a MIME type like "application/pdf"'),
        )
        .max(200)
        .default(['application/pdf', 'text/plain', 'text/csv', 'image/png', 'image/jpeg']),
    })
    .default({
      maxBytes: 10 * 1024 * 1024,
      allowedTypes: ['application/pdf', 'text/plain', 'text/csv', 'image/png', 'image/jpeg'],
    }),
  /** Mark text of mail from outside the internal domains as untrusted before the agent sees it. */
  wrapUntrusted: z.boolean().default(true),
});
export type ContentPolicy = z.infer<typeof ContentPolicySchema>;

export const OutboundPolicySchema = z.strictObject({
  /** The owner's organisation; recipients here are never "external" for the exfiltration guard. */
  internalDomains: z.array(DomainSchema).max(100).default([]),
  /** Exact addresses that may receive mail. */
  allowRecipients: z.array(ExactAddressSchema).max(1000).default([]),
  /** Whole domains that may receive mail (exact domain match; subdomains must be listed themselves). */
  allowDomains: z.array(DomainSchema).max(1000).default([]),
  /** Internationalised domains (as written, e.g. "bücher.example") the owner accepts despite the lookalike rule. */
  allowUnicodeDomains: z.array(z.string().min(1).max(253)).max(100).default([]),
  /** Recipients must already be in the thread being answered; new mail to new people is refused. */
  replyOnly: z.boolean().default(true),
  maxRecipients: z.number().int().min(1).max(500).default(10),
  caps: CapsSchema.default({ perHour: 5, perDay: 25 }),
  exfiltrationGuard: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Minimum length (characters) of read mail text quoted in an outbound body that escalates. */
      minExcerptChars: z.number().int().min(20).max(2000).default(40),
    })
    .default({ enabled: true, minExcerptChars: 40 }),
});
export type OutboundPolicy = z.infer<typeof OutboundPolicySchema>;

export const CalendarPolicySchema = z.strictObject({
  /** Whole days before today (owner's zone) that reads may reach. */
  pastDays: z.number().int().min(0).max(3650).default(0),
  /** Whole days after today (owner's zone) that reads may reach; the window ends at the end of that day. */
  futureDays: z.number().int().min(0).max(3650).default(7),
  timeZone: z.string().refine(isIanaTimeZone, 'must be an IANA time zone like "Europe/Berlin" or "UTC"').default('UTC'),
  calendars: z.array(z.string().min(1).max(512)).min(1).max(100).default(['primary']),
  showAttendees: z.boolean().default(false),
  showLocation: z.boolean().default(false),
  showMeetingUrls: z.boolean().default(false),
  writes: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Who gets invitation mail from gog (`--send-updates`). */
      sendUpdates: z.enum(['none', 'all', 'externalOnly']).default('none'),
      caps: CapsSchema.default({ perHour: 5, perDay: 25 }),
    })
    .default({ enabled: false, sendUpdates: 'none', caps: { perHour: 5, perDay: 25 } }),
});
export type CalendarPolicy = z.infer<typeof CalendarPolicySchema>;
