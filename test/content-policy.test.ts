// The content:, outbound: and calendar: policy sections: safe defaults and strict parsing.
import { describe, expect, it } from 'vitest';
import { CalendarPolicySchema, ContentPolicySchema, OutboundPolicySchema } from '../sidecar/content/index.ts';

describe('policy sections', () => {
  it('default to the safe choice', () => {
    expect(ContentPolicySchema.parse({})).toEqual({
      securityMail: { mode: 'redact' },
      lookbackDays: 2,
      maxResults: 25,
      threadMode: 'latest_only',
      attachments: {
        maxBytes: 10 * 1024 * 1024,
        allowedTypes: ['application/pdf', 'text/plain', 'text/csv', 'image/png', 'image/jpeg'],
      },
      wrapUntrusted: true,
    });
    expect(OutboundPolicySchema.parse({})).toEqual({
      internalDomains: [],
      allowRecipients: [],
      allowDomains: [],
      allowUnicodeDomains: [],
      replyOnly: true,
      maxRecipients: 10,
      caps: { perHour: 5, perDay: 25 },
      exfiltrationGuard: { enabled: true, minExcerptChars: 40 },
    });
    expect(CalendarPolicySchema.parse({})).toEqual({
      pastDays: 0,
      futureDays: 7,
      timeZone: 'UTC',
      calendars: ['primary'],
      showAttendees: false,
      showLocation: false,
      showMeetingUrls: false,
      writes: { enabled: false, sendUpdates: 'none', caps: { perHour: 5, perDay: 25 } },
    });
  });

  it('fills defaults inside partly given sections', () => {
    expect(ContentPolicySchema.parse({ securityMail: {} }).securityMail.mode).toBe('redact');
    expect(OutboundPolicySchema.parse({ caps: { perHour: 2 } }).caps).toEqual({ perHour: 2, perDay: 25 });
    expect(CalendarPolicySchema.parse({ writes: { enabled: true } }).writes.sendUpdates).toBe('none');
  });

  it.each([
    ['content', ContentPolicySchema, { lookback: 2 }],
    ['content.securityMail', ContentPolicySchema, { securityMail: { mode: 'block', extra: 1 } }],
    ['content.securityMail.mode', ContentPolicySchema, { securityMail: { mode: 'ignore' } }],
    ['content.attachments.allowedTypes', ContentPolicySchema, { attachments: { allowedTypes: ['pdf'] } }],
    ['outbound', OutboundPolicySchema, { allowlist: ['a@b.example'] }],
    ['outbound.allowDomains', OutboundPolicySchema, { allowDomains: ['*.example.com'] }],
    ['outbound.allowRecipients', OutboundPolicySchema, { allowRecipients: ['Bob <bob@x.example>'] }],
    ['outbound.caps', OutboundPolicySchema, { caps: { perWeek: 3 } }],
    ['calendar.timeZone', CalendarPolicySchema, { timeZone: 'Mars/Olympus' }],
    ['calendar.writes.sendUpdates', CalendarPolicySchema, { writes: { sendUpdates: 'everyone' } }],
    ['calendar.calendars', CalendarPolicySchema, { calendars: [] }],
  ] as const)('refuses a bad %s', (_where, schema, value) => {
    expect(schema.safeParse(value).success).toBe(false);
  });

  it('lower-cases allowlisted addresses and domains', () => {
    const p = OutboundPolicySchema.parse({ allowRecipients: ['Bob@Partner.Example'], allowDomains: ['Corp.Example'] });
    expect(p.allowRecipients).toEqual(['bob@partner.example']);
    expect(p.allowDomains).toEqual(['corp.example']);
  });
});
