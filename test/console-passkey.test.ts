// Passkeys end to end in headless Chromium with the DevTools protocol's virtual authenticator (user verification
// on): enrol from the console, approve from a phone-sized card, quorum with an Ed25519 approval, refusals with
// evidence, and `mailwarden evidence verify` re-checking the passkey approval offline.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidence } from './support/evidence.ts';
import { call } from './support/http.ts';
import {
  BIN,
  editPolicy,
  mailwarden,
  REPO_ROOT,
  readOutbox,
  removeSetup,
  startTestSidecar,
  type TestSidecar,
} from './support/sidecar.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'test-results', 'console');

async function startConsoleProcess(configPath: string) {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'console', '--config', configPath, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`console exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`console did not start: ${err}`)), 20_000).unref();
  });
  const first = JSON.parse(line) as { url: string; loginUrl: string };
  // Passkeys need a host name: the loopback console also answers as localhost.
  const toLocalhost = (u: string) => u.replace('//127.0.0.1:', '//localhost:');
  return { child, url: toLocalhost(first.url), loginUrl: toLocalhost(first.loginUrl) };
}

async function textOf(loc: Locator, want: string | RegExp, ms = 10_000): Promise<string> {
  let last = '';
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await loc.count()) > 0) {
      last = (await loc.first().textContent()) ?? '';
      if (typeof want === 'string' ? last.includes(want) : want.test(last)) return last;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${String(want)} in ${loc.toString()}, last text: ${JSON.stringify(last)}`);
}

describe('passkeys in headless Chromium', () => {
  let s: TestSidecar;
  let consoleProc: Awaited<ReturnType<typeof startConsoleProcess>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const sent: { url: string; body: Record<string, unknown> }[] = [];
  const pageProblems: string[] = [];

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/ci-deps.sh`).toBe(true);
    mkdirSync(SHOTS, { recursive: true });
    s = await startTestSidecar({
      profile: 'full',
      // Two approvals for a send: one passkey and one Ed25519 statement make the quorum.
      prepare: (dir) =>
        editPolicy(dir, (policy) => {
          (policy.approvals as { quorum: Record<string, number> }).quorum.write = 2;
        }),
    });
    consoleProc = await startConsoleProcess(s.configPath);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    // A phone-sized page: the owner decides from the phone.
    context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
    page.on('request', (req) => {
      if (req.method() === 'POST' && /\/decisions$/.test(req.url())) {
        sent.push({ url: req.url(), body: JSON.parse(req.postData() ?? '{}') as Record<string, unknown> });
      }
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    consoleProc?.child.kill('SIGTERM');
    await s?.stop();
    if (s) removeSetup(s);
  });

  async function propose(subject: string) {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: {
        action: 'gmail.send',
        params: {
          to: ['colleague@example.com'],
          bcc: ['collector@outside-mail.net'],
          subject,
          body: 'Hi,\n\nthe figures are below.\n\n> On Monday someone wrote:\n> send me the numbers',
        },
        justification: 'The owner asked me to share the figures.',
      },
    });
    expect(r.status, r.text).toBe(202);
    return (r.json as { proposal: { id: string; hash: string; status: string } }).proposal;
  }

  /** Posts a decision body from the page itself (same origin, session and CSRF token as the console's own). */
  async function postFromPage(proposalId: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const script = `(async () => {
      const session = await (await fetch('/api/session')).json();
      const r = await fetch('/api/proposals/' + encodeURIComponent(${JSON.stringify(proposalId)}) + '/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', [session.csrfHeader]: session.csrfToken },
        body: ${JSON.stringify(JSON.stringify(body))},
      });
      return { status: r.status, json: await r.json() };
    })()`;
    return (await page.evaluate(script)) as { status: number; json: unknown };
  }

  const refusals = () =>
    readEvidence(s.evidenceDir)
      .filter((r) => r.type === 'approval_refused')
      .map((r) => [r.proposalId, r.data['reason'], r.data['approver']]);

  it('enrols a passkey: created in the console, confirmed on the host', async () => {
    await page.goto(consoleProc.loginUrl);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 5000 });
    await page.goto(`${consoleProc.url}#/passkey`);
    await page.getByLabel('Approver id').fill('owner-phone', { timeout: 5000 });
    await page.getByRole('button', { name: 'Create passkey' }).click({ timeout: 5000 });
    const command = await textOf(
      page.locator('#passkey-command'),
      'mailwarden approver add --id owner-phone --webauthn',
    );
    await textOf(page.locator('#passkey-enrolment'), /Not enrolled yet/);
    const json = /--webauthn '([^']+)'/.exec(command)![1]!;
    const enrolment = JSON.parse(json) as { rpId: string; origins: string[] };
    expect(enrolment.rpId).toBe('localhost');
    expect(enrolment.origins).toEqual([new URL(consoleProc.url).origin]);

    const added = await mailwarden([
      'approver',
      'add',
      '--id',
      'owner-phone',
      '--webauthn',
      json,
      '--config',
      s.configPath,
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    await page.getByRole('button', { name: 'Check enrolment' }).click();
    await textOf(page.locator('#passkey-enrolment'), /Enrolled: the sidecar accepts the passkey of “owner-phone”/);
  });

  it('shows the whole card on a phone, and a passkey approval counts toward quorum; executes exactly once', async () => {
    const p = await propose('Quarterly figures');
    // One tap from the notification: its link opens the card.
    await page.goto(`${consoleProc.url}#/p/${p.id}`);
    await textOf(page.locator('#card-title'), 'gmail.send');
    await page.locator('tr[data-source="bcc"]').waitFor();
    await textOf(page.locator('tr[data-source="bcc"]'), 'collector@outside-mail.net');
    await textOf(page.locator('.subject'), 'Quarterly figures');
    await textOf(page.locator('.body'), 'the figures are below');
    await textOf(page.locator('#c-att'), 'Attachments');
    await textOf(page.locator('#proposal-hash'), p.hash);
    await textOf(page.locator('.card'), "mail leaves the mailbox only with the owner's approval");
    // Nothing is wider than the phone's screen: no sideways scrolling on the card.
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'passkey-card-phone.png'), fullPage: true });

    await page.getByRole('button', { name: 'Approve with passkey' }).click();
    await textOf(page.getByRole('status'), 'approved_by_1_of_2', 15_000);
    expect(readOutbox(s.gogHome)).toHaveLength(0);

    // The Ed25519 approver on the host makes the quorum.
    const approve = await mailwarden(['approve', p.id, '--yes', '--approver', 'owner', '--config', s.configPath]);
    expect(approve.stderr).toBe('');
    expect(approve.stdout).toMatch(/executed/);
    expect(readOutbox(s.gogHome).filter((l) => l.command === 'gmail.send')).toHaveLength(1);

    const accepted = readEvidence(s.evidenceDir).filter((r) => r.type === 'approval_accepted' && r.proposalId === p.id);
    expect(accepted.map((r) => r.data['approver']).sort()).toEqual(['owner', 'owner-phone']);
    const viaPasskey = accepted.find((r) => r.data['approver'] === 'owner-phone')!;
    expect(viaPasskey.data['webauthn']).toMatchObject({
      type: 'public-key',
      response: { signature: expect.any(String) },
    });
    expect(pageProblems).toEqual([]);
  });

  it('refuses a replayed, a forged and an other-proposal assertion, each with evidence', async () => {
    const p1 = await propose('First');
    const p2 = await propose('Second');
    await page.goto(`${consoleProc.url}#/p/${p1.id}`);
    await page.getByRole('button', { name: 'Approve with passkey' }).click();
    await textOf(page.getByRole('status'), 'approved_by_1_of_2', 15_000);
    const assertion = sent.at(-1)!.body;
    expect(sent.at(-1)!.url).toContain(p1.id);

    const replay = await postFromPage(p1.id, assertion);
    expect(replay.status).toBe(403);
    expect(JSON.stringify(replay.json)).toMatch(/replay/);

    const other = await postFromPage(p2.id, assertion);
    expect(other.status).toBe(403);
    expect(JSON.stringify(other.json)).toMatch(/signed for proposal/);

    const webauthn = assertion['webauthn'] as { response: { signature: string } };
    const sig = Buffer.from(webauthn.response.signature, 'base64url');
    sig[sig.length - 1]! ^= 0x01;
    const forged = {
      webauthn: { ...webauthn, response: { ...webauthn.response, signature: sig.toString('base64url') } },
    };
    const bad = await postFromPage(p2.id, forged);
    expect(bad.status).toBe(403);

    expect(refusals()).toEqual([
      [p1.id, 'replay', 'owner-phone'],
      [p2.id, 'wrong_proposal', 'owner-phone'],
      [p2.id, 'bad_signature', 'owner-phone'],
    ]);
    expect(readOutbox(s.gogHome).filter((l) => l.command === 'gmail.send')).toHaveLength(1);
  });

  it('`mailwarden evidence verify` re-checks the passkey approvals offline', async () => {
    const r = await mailwarden(['evidence', 'verify', '--json', '--config', s.configPath]);
    const report = JSON.parse(r.stdout) as { verdict: string; approvals: { verified: number; unchecked: number } };
    expect(report.verdict).toBe('intact');
    // Three approvals: two passkey ones and one Ed25519 statement, all re-verified.
    expect(report.approvals).toMatchObject({ verified: 3, unchecked: 0 });
  });
});
