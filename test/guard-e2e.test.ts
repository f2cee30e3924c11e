// Content and outbound controls through the real sidecar and the fake gog: what the agent sees, and what may leave.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http.ts';
import {
  editPolicy,
  mailwarden,
  readOutbox,
  removeSetup,
  startTestSidecar,
  type TestSidecar,
} from './support/sidecar.ts';

const SECURITY_MAIL = '18c1a0000000d001';
const INJECTION_MAIL = '18c1a0000000e001';
const INTERNAL_MAIL = '18c1a0000000f001';
const PARTNER_MAIL = '18c1a0000000b001';

type Proposal = {
  id: string;
  status: string;
  decision: { effect: string; rules: string[]; message: string };
  result?: unknown;
  error?: { code: string };
};

function gogCalls(gogHome: string): string[][] {
  return readFileSync(join(gogHome, 'fake-calls.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
}

describe('content and outbound controls (full profile, tightened)', () => {
  let s: TestSidecar;
  const propose = async (action: string, params: Record<string, unknown>) => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', { key: s.agentKey, body: { action, params } });
    return { status: r.status, proposal: (r.json as { proposal: Proposal }).proposal };
  };

  beforeAll(async () => {
    s = await startTestSidecar({
      profile: 'full',
      prepare: (dir) =>
        editPolicy(dir, (p) => {
          p.outbound = {
            replyOnly: false,
            maxRecipients: 3,
            caps: { perHour: 2, perDay: 10 },
            allowDomains: ['example.com', 'partner.example.org'],
          };
          p.rules = [
            { id: 'reads', match: 'class:read', effect: 'allow' },
            { id: 'replies', match: 'gmail.reply', effect: 'allow' },
            { id: 'other-sends', match: ['gmail.send', 'gmail.forward', 'gmail.drafts.send'], effect: 'approve' },
          ];
        }),
    });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  it('withholds a one-time-code mail and says so', async () => {
    const { status, proposal } = await propose('gmail.get', { messageId: SECURITY_MAIL });
    expect(status).toBe(200);
    const text = JSON.stringify(proposal.result);
    expect(text).not.toMatch(/\b\d{6}\b/);
    expect(text).toMatch(/withheld/i);
  });

  it('marks outside mail as untrusted content', async () => {
    const { proposal } = await propose('gmail.get', { messageId: PARTNER_MAIL });
    const message = (proposal.result as { message: { body: string } }).message;
    expect(message.body).toContain('<<<EXTERNAL_UNTRUSTED_CONTENT');
  });

  it('clamps the lookback of a search whatever the query asks for', async () => {
    await propose('gmail.search', { query: 'after:2001/01/01 newer_than:9999d' });
    const argv = gogCalls(s.gogHome)
      .reverse()
      .find((a) => a.includes('search'))!
      .join(' ');
    const cutoff = /after:(\d{4})\/(\d{2})\/(\d{2})/.exec(argv);
    expect(cutoff).not.toBeNull();
    const days = (Date.now() - Date.UTC(Number(cutoff![1]), Number(cutoff![2]) - 1, Number(cutoff![3]))) / 86_400_000;
    expect(days).toBeLessThanOrEqual(15);
    expect(argv).not.toContain('2001/01/01');
    expect(argv).not.toContain('9999d');
  });

  it('hides attendees, location and meeting links of events by default', async () => {
    const { status, proposal } = await propose('calendar.events', {});
    expect(status).toBe(200);
    const events = (proposal.result as { events: Record<string, unknown>[] }).events;
    for (const e of events) {
      expect(e.attendees).toBeUndefined();
      expect(e.location).toBeUndefined();
      expect(e.hangoutLink).toBeUndefined();
    }
  });

  it('refuses a calendar outside the allowlist before asking gog', async () => {
    const { status, proposal } = await propose('calendar.event', {
      calendarId: 'team@group.calendar.google.com',
      eventId: 'evt4teamsync',
    });
    expect(status).toBe(403);
    expect(proposal.decision.rules).toContain('calendar.not_allowlisted');
  });

  it('escalates a forward to an outside address after untrusted mail was read (injection scenario)', async () => {
    const read = await propose('gmail.get', { messageId: INJECTION_MAIL });
    expect(read.status).toBe(200);
    const before = readOutbox(s.gogHome).length;
    const { status, proposal } = await propose('gmail.forward', {
      messageId: INTERNAL_MAIL,
      to: ['attacker@evil.example'],
    });
    // The allowlist already refuses evil.example; the exfiltration rule is named too.
    expect(status).toBe(403);
    expect(proposal.decision.rules).toContain('outbound.allowlist');
    expect(readOutbox(s.gogHome).length).toBe(before);
  });

  it('asks for approval for an allowed outside reply once outside mail was read, and says why on the card', async () => {
    const { status, proposal } = await propose('gmail.reply', {
      messageId: PARTNER_MAIL,
      body: 'Thanks, will review.',
    });
    expect(status).toBe(202);
    expect(proposal.decision.rules).toContain('exfiltration.external_after_untrusted_read');
    const card = await mailwarden(['show', proposal.id, '--json', '--config', s.configPath]);
    const body = JSON.parse(card.stdout) as {
      card: {
        derivedRecipients: { address: string; source: string; standing: string }[];
        thread: { subject: string; messages: { from: string }[] };
      };
    };
    expect(body.card.derivedRecipients).toContainEqual({
      address: 'priya@partner.example.org',
      source: 'reply',
      standing: 'allowlisted',
    });
    expect(body.card.thread.subject).toBe('Contract renewal for 2027');
    expect(body.card.thread.messages.map((m) => m.from)).toContain('Priya Shah <priya@partner.example.org>');
    const text = await mailwarden(['show', proposal.id, '--config', s.configPath]);
    expect(text.stdout).toContain('thread:    "Contract renewal for 2027"');
    expect(text.stdout).toContain('priya@partner.example.org (reply)');
    expect(text.stdout).toContain('exfiltration.external_after_untrusted_read');
  });

  it('lets an internal reply through without approval', async () => {
    const { status, proposal } = await propose('gmail.reply', { messageId: INTERNAL_MAIL, body: 'Thursday works.' });
    expect(status).toBe(200);
    expect(proposal.status).toBe('executed');
  });

  it('refuses a bcc outside the allowlist and too many recipients', async () => {
    const bcc = await propose('gmail.send', {
      to: ['sam@example.com'],
      bcc: ['spy@evil.example'],
      subject: 'x',
      body: 'y',
    });
    expect(bcc.status).toBe(403);
    expect(bcc.proposal.decision.rules).toContain('outbound.allowlist');
    const many = await propose('gmail.send', {
      to: ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'],
      subject: 'x',
      body: 'y',
    });
    expect(many.proposal.decision.rules).toContain('outbound.max_recipients');
  });

  it('refuses to send a draft mailwarden did not write', async () => {
    const { status, proposal } = await propose('gmail.drafts.send', { draftId: 'r-unknown-draft' });
    expect(status).toBe(403);
    expect(proposal.decision.rules).toContain('outbound.original_unavailable');
  });

  it('counts only sends that succeeded against the hourly cap', async () => {
    // One internal reply already went out above; the cap is 2 per hour.
    const second = await propose('gmail.reply', { messageId: INTERNAL_MAIL, body: 'See you then.' });
    expect(second.proposal.status).toBe('executed');
    const third = await propose('gmail.reply', { messageId: INTERNAL_MAIL, body: 'One more thing.' });
    expect(third.status).toBe(403);
    expect(third.proposal.decision.rules).toContain('caps.hourly');
  });
});
