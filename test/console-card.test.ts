// The approval card's rarer parts in headless Chromium: draft diffs, attachments, thread context, derived and
// allowlisted recipients. The console runs in-process against a scripted operator.sock answer.
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleApp, createSessionStore, loadConsoleAssets } from '../sidecar/console/index.ts';
import { REPO_ROOT } from './support/sidecar.ts';

const CHROMIUM = '/usr/bin/chromium';
const HASH = `sha256:${'ab'.repeat(32)}`;

const draftUpdate = {
  id: 'p-draft',
  hash: HASH,
  action: 'gmail.drafts.update',
  status: 'pending_approval',
  decision: { effect: 'approve', rules: ['draft-review'], message: 'draft changes are reviewed' },
  createdAt: new Date(Date.now() - 125_000).toISOString(),
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
  correlationId: 'c1',
  principal: 'agent-7',
  class: 'write',
  params: {
    draftId: 'd-1',
    to: ['team@example.com'],
    bcc: ['friend@partner.io', 'drop@exfil.example'],
    subject: 'Plan v2',
    body: 'Line one\nLine two changed\nLine three',
    threadId: 't-99',
    attachments: [{ filename: 'plan.pdf', mimeType: 'application/pdf', size: 48_213 }],
  },
  currentDraft: { to: ['team@example.com'], subject: 'Plan', body: 'Line one\nLine two\nLine three' },
  thread: {
    subject: 'Plan',
    messages: [
      { from: 'mallory@far.away', date: '2026-11-20', snippet: '<img src=x onerror=alert(1)> please forward' },
    ],
  },
  derivedRecipients: [{ address: 'cc-all@far.away', source: 'reply_all' }],
  allowlist: { domains: ['partner.io'] },
  justification: 'The owner asked for the v2 plan.',
  integrity: 'ok',
  approvals: [],
  quorum: 1,
};

describe('approval card details in headless Chromium', () => {
  let browser: Browser;
  let server: ReturnType<typeof serve>;
  let base = '';
  let loginUrl = '';

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/ci-deps.sh`).toBe(true);
    const sessions = createSessionStore();
    let host = '';
    const app = createConsoleApp({
      sessions,
      operator: async (method, path) =>
        method === 'GET' && path === '/v1/proposals/p-draft'
          ? { status: 200, json: { card: draftUpdate } }
          : { status: 404, json: { error: { code: 'NOT_FOUND', message: path, correlationId: 'x' } } },
      host: () => host,
      assets: loadConsoleAssets(),
      configFile: '/etc/mailwarden/mailwarden.yaml',
      account: 'owner@example.com',
      approvers: () => ['owner'],
      enrolment: () => ({ configured: false, matches: false }),
      sessionMaxAgeSeconds: 600,
    });
    server = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    base = `http://${host}/`;
    loginUrl = `${base}login?token=${sessions.issueLoginToken()}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('shows the diff against the current draft, attachments, thread context and every recipient kind', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(loginUrl);
    await page.goto(`${base}#/p/p-draft`);
    await page.locator('#card-title').waitFor();

    const rows = await page
      .locator('table.recipients tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-source'),
          tr.getAttribute('data-kind'),
          tr.querySelector('td')?.textContent,
        ]),
      );
    expect(rows).toEqual([
      ['to', 'internal', 'team@example.com'],
      ['bcc', 'allowlisted', 'friend@partner.io'],
      ['bcc', 'outside', 'drop@exfil.example'],
      ['reply_all', 'outside', 'cc-all@far.away'],
    ]);
    const note = (await page.getByRole('note').textContent()) ?? '';
    expect(note).toContain('2 recipients outside your organisation');
    expect(note).toContain('1 hidden (bcc) recipient');

    const diff = page.locator('#c-diff').locator('..');
    expect(await diff.locator('.diff .del').allTextContents()).toEqual(['- Line two\n']);
    expect(await diff.locator('.diff .add').allTextContents()).toEqual(['+ Line two changed\n']);
    expect(await diff.locator('del').allTextContents()).toEqual(['(empty)', 'Plan']);
    expect(await diff.locator('ins').allTextContents()).toEqual(['friend@partner.io, drop@exfil.example', 'Plan v2']);

    expect(await page.locator('#c-att').locator('..').textContent()).toContain('plan.pdf — application/pdf, 47.1 KiB');
    const thread = page.locator('#c-thread').locator('..');
    expect(await thread.textContent()).toContain('t-99');
    expect(await thread.locator('.untrusted pre').textContent()).toBe('<img src=x onerror=alert(1)> please forward');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('#c-params').locator('..').textContent()).toBe('Other parametersdraftId"d-1"');
    expect(await page.locator('#proposal-hash').textContent()).toBe(HASH);
    // No key in this browser: the card says how to get one instead of offering buttons.
    expect(await page.locator('#approve').count()).toBe(0);
    expect(await page.locator('#c-decide').locator('..').textContent()).toContain('create and enrol a signing key');
    mkdirSync(join(REPO_ROOT, 'test-results', 'console'), { recursive: true });
    await page.screenshot({
      path: join(REPO_ROOT, 'test-results', 'console', 'draft-update-card.png'),
      fullPage: true,
    });
    expect(errors).toEqual([]);
  });
});
