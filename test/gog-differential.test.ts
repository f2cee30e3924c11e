// Differential: the fake gog and the real gog (against the Google API emulator) get the same argv over the same
// mailbox, step by step through every catalogue action, and must print the same JSON and exit the same way.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../fixtures/google-emulator/server.mjs';
import { startEmulator } from '../fixtures/google-emulator/server.mjs';
import type { ActionName } from '../shared/index.ts';
import {
  attachmentOutPath,
  FAKE_GOG_BINARY,
  type GogConfig,
  gogEnv,
  normaliseOutput,
  planGogCall,
  prepareFakeGogHome,
} from '../sidecar/exec/index.ts';
import { SCENARIOS, type ScenarioContext } from './support/conformance-scenarios.ts';
import { conformanceMailbox, writeGogWrapper } from './support/gog-backends.ts';
import { requireRealGog } from './support/real-gog.ts';

const real = requireRealGog('gog differential');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(binary: string, argv: readonly string[], stdin: string | undefined, cfg: GogConfig): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, argv, { env: gogEnv(cfg), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';
const parsed = (s: string): unknown => (s.trim() === '' ? null : JSON.parse(s));

describe.skipIf(!real).sequential('the fake gog answers like the real gog', () => {
  let root: string;
  let emulator: Emulator;
  let wrapper: string;
  let cfg: GogConfig;
  const results: Partial<Record<ActionName, unknown>> = {};
  const ctx: ScenarioContext = { results };
  const mismatches: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mw-gogdiff-'));
    const home = join(root, 'gog');
    const mailbox = conformanceMailbox();
    // One gog home for both: the fake reads its mailbox there, the real gog only its (empty) config.
    await prepareFakeGogHome(home, { mailbox, faults: { now: '2026-11-22T12:00:00Z' } });
    emulator = await startEmulator({ mailbox });
    wrapper = writeGogWrapper(root, real!.binary, emulator.env);
    cfg = {
      binary: FAKE_GOG_BINARY,
      home,
      account: mailbox.account,
      timeoutMs: 20_000,
      maxOutputBytes: 8_000_000,
      noSend: false,
      wrapUntrusted: false,
    };
  });
  afterAll(async () => {
    await emulator?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    console.info(
      `gog differential: ${mismatches.length} mismatches${mismatches.length ? `: ${mismatches.join('; ')}` : ''}`,
    );
  });

  // Refusals and missing items: same exit code and the same last stderr line.
  const ERRORS: [string, ActionName, Record<string, unknown>][] = [
    ['an unknown message id', 'gmail.get', { messageId: '18c1a00000000404' }],
    ['an unknown event id', 'calendar.event', { calendarId: 'owner@example.com', eventId: 'evtmissing' }],
    [
      'an answer to the own event',
      'calendar.respond',
      { calendarId: 'owner@example.com', eventId: 'evt1offsite2026', response: 'accepted' },
    ],
    ['an unknown draft', 'gmail.drafts.send', { draftId: 'r-missing' }],
    ['a calendar that is not in the list', 'calendar.events', { calendarIds: ['nosuch@example.com', 'primary'] }],
  ];
  for (const [what, action, params] of ERRORS) {
    it(`${action} with ${what}: same exit code and error line`, async () => {
      const plan = planGogCall(action, params as never, cfg);
      const fake = await run(FAKE_GOG_BINARY, plan.argv, plan.stdin, cfg);
      const gog = await run(wrapper, plan.argv, plan.stdin, cfg);
      if (fake.code !== gog.code || lastLine(fake.stderr) !== lastLine(gog.stderr))
        mismatches.push(`${action} (${what})`);
      expect(gog.code).not.toBe(0);
      expect({ code: fake.code, line: lastLine(fake.stderr) }).toEqual({ code: gog.code, line: lastLine(gog.stderr) });
    });
  }

  for (const [i, scenario] of SCENARIOS.entries()) {
    it(`${i + 1}. ${scenario.action}: same stdout JSON and exit code`, async () => {
      const params = scenario.params(ctx);
      const plan = planGogCall(scenario.action, params as never, cfg);
      // The executor removes an attachment file after reading it; so does each run here.
      const clean = () => {
        const p = params as { messageId?: string; attachmentId?: string };
        if (scenario.action === 'gmail.attachment' && p.messageId && p.attachmentId)
          rmSync(attachmentOutPath(cfg.home, p.messageId, p.attachmentId), { force: true });
      };
      const fake = await run(FAKE_GOG_BINARY, plan.argv, plan.stdin, cfg);
      clean();
      const gog = await run(wrapper, plan.argv, plan.stdin, cfg);
      clean();
      const same =
        fake.code === gog.code &&
        JSON.stringify(sortKeys(parsed(fake.stdout))) === JSON.stringify(sortKeys(parsed(gog.stdout)));
      if (!same) {
        mismatches.push(scenario.action);
        const dump = process.env.GOG_DIFF_DIR;
        if (dump) {
          const show = (r: Run) =>
            `exit ${r.code}\n${JSON.stringify(sortKeys(parsed(r.stdout)), null, 2)}\n${r.stderr}`;
          writeFileSync(join(dump, `${i + 1}-${scenario.action}.fake`), show(fake));
          writeFileSync(join(dump, `${i + 1}-${scenario.action}.real`), show(gog));
        }
      }
      expect({ code: fake.code, stdout: parsed(fake.stdout) }).toEqual({ code: gog.code, stdout: parsed(gog.stdout) });
      if (gog.code !== 0) expect(lastLine(fake.stderr)).toBe(lastLine(gog.stderr));
      if (gog.code === 0)
        results[scenario.action] = normaliseOutput(scenario.action, params as never, parsed(gog.stdout));
    });
  }
});
