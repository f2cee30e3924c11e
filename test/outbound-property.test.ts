// Property: every address mail actually went to was checked by the outbound rules for that very send, and where
// the owner approved it, was on the card the owner saw. Random sequences of drafts create/update/send, sends,
// replies, reply-alls and forwards with random recipients across to/cc/bcc, a draft edited outside mailwarden,
// and reads of outside mail, under the shipped profiles and a permissive policy, over the fake gog's mailbox.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { extractAddresses } from '../sidecar/content/index.ts';
import { createGogExecutor, FAKE_GOG_BINARY, prepareFakeGogHome } from '../sidecar/exec/index.ts';
import { createCore } from './support/in-process.ts';

const OWNER = 'owner@example.com';
const PEOPLE = ['sam@example.com', 'dana@example.com', 'priya@partner.example.org', 'evil@attacker.example'];
const MESSAGES = ['18c1a0000000f001', '18c1a0000000b001', '18c1a0000000e001', '18c1a0000000a003'];
const THREADS = ['18c1a0000000f001', '18c1a0000000b001'];
/** Runs per `npm test`; set MW_PROPERTY_RUNS for a longer search (the figure reported used 1000). */
const RUNS = Number(process.env.MW_PROPERTY_RUNS ?? 100);

const PERMISSIVE = stringify({
  version: 1,
  name: 'permissive',
  commands: { gmail: true, calendar: true },
  rules: [{ id: 'everything', match: ['gmail', 'calendar'], effect: 'allow' }],
  default: 'deny',
  outbound: { replyOnly: false, maxRecipients: 10, caps: { perHour: 1000, perDay: 1000 } },
});

const addresses = fc.uniqueArray(fc.constantFrom(...PEOPLE), { maxLength: 3 });
const someAddresses = fc.uniqueArray(fc.constantFrom(...PEOPLE), { minLength: 1, maxLength: 3 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

type Op =
  | { op: 'read'; messageId: string }
  | { op: 'create'; to: string[]; cc?: string[] | undefined; bcc?: string[] | undefined; threadId?: string | undefined }
  | {
      op: 'update';
      draft: number;
      to?: string[] | undefined;
      cc?: string[] | undefined;
      bcc?: string[] | undefined;
      body?: string | undefined;
    }
  | { op: 'sendDraft'; draft: number }
  | { op: 'editOutside'; draft: number; bcc: string[] }
  | { op: 'send'; to: string[]; cc?: string[] | undefined; bcc?: string[] | undefined }
  | { op: 'reply'; messageId: string; replyAll: boolean; cc?: string[] | undefined; bcc?: string[] | undefined }
  | { op: 'forward'; messageId: string; to: string[]; cc?: string[] | undefined; bcc?: string[] | undefined };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('read' as const), messageId: fc.constantFrom(...MESSAGES) }),
  {
    weight: 3,
    arbitrary: fc.record(
      {
        op: fc.constant('create' as const),
        to: someAddresses,
        cc: maybe(addresses),
        bcc: maybe(addresses),
        threadId: maybe(fc.constantFrom(...THREADS)),
      },
      { requiredKeys: ['op', 'to'] },
    ),
  },
  fc.record(
    {
      op: fc.constant('update' as const),
      draft: fc.nat(3),
      to: maybe(someAddresses),
      cc: maybe(addresses),
      bcc: maybe(addresses),
      body: maybe(fc.constantFrom('New text', 'Please move all mailboxes to the new server by Friday.')),
    },
    { requiredKeys: ['op', 'draft'] },
  ),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('sendDraft' as const), draft: fc.nat(3) }) },
  fc.record({ op: fc.constant('editOutside' as const), draft: fc.nat(3), bcc: someAddresses }),
  fc.record(
    { op: fc.constant('send' as const), to: someAddresses, cc: maybe(addresses), bcc: maybe(addresses) },
    { requiredKeys: ['op', 'to'] },
  ),
  fc.record(
    {
      op: fc.constant('reply' as const),
      messageId: fc.constantFrom(...MESSAGES),
      replyAll: fc.boolean(),
      cc: maybe(addresses),
      bcc: maybe(addresses),
    },
    { requiredKeys: ['op', 'messageId', 'replyAll'] },
  ),
  fc.record(
    {
      op: fc.constant('forward' as const),
      messageId: fc.constantFrom(...MESSAGES),
      to: someAddresses,
      cc: maybe(addresses),
      bcc: maybe(addresses),
    },
    { requiredKeys: ['op', 'messageId', 'to'] },
  ),
);

type Box = {
  messages: { id: string; to?: string[]; cc?: string[]; bcc?: string[]; labels?: string[] }[];
  drafts: { id: string; message: { bcc?: string[] } }[];
};

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

describe('what leaves the mailbox was checked, and approved where approval was required', () => {
  it(`holds over ${RUNS} random sequences`, async () => {
    let sends = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('full', 'scoped_execution', 'permissive'),
        fc.array(opArb, { minLength: 2, maxLength: 6 }),
        async (profile, ops) => {
          const root = await mkdtemp(join(tmpdir(), 'mw-prop-'));
          roots.push(root);
          const home = join(root, 'gog');
          await prepareFakeGogHome(home);
          const executor = createGogExecutor({
            binary: FAKE_GOG_BINARY,
            home,
            account: OWNER,
            timeoutMs: 20_000,
            maxOutputBytes: 4_000_000,
            noSend: false,
            wrapUntrusted: false,
          });
          const policyYaml =
            profile === 'permissive'
              ? PERMISSIVE
              : await readFile(join(import.meta.dirname, '..', 'policies', `${profile}.yaml`), 'utf8');
          const core = await createCore({ policyYaml, approverCount: 1, gog: { executor, owner: OWNER } });
          const boxFile = join(home, 'fake-mailbox.json');
          const box = async () => JSON.parse(await readFile(boxFile, 'utf8')) as Box;
          const sentCount = async () => (await box()).messages.filter((m) => m.labels?.includes('SENT')).length;
          const drafts: string[] = [];
          try {
            for (const o of ops) {
              if (o.op === 'editOutside') {
                const b = await box();
                const d = b.drafts.find((x) => x.id === drafts[o.draft % Math.max(1, drafts.length)]);
                if (!d) continue;
                d.message.bcc = o.bcc;
                await writeFile(boxFile, JSON.stringify(b));
                continue;
              }
              const request = toRequest(o, drafts);
              if (!request) continue;
              const before = await sentCount();
              const rec = await core.proposals.submit('agent', request as never);
              let card: Record<string, unknown> | null = null;
              if (rec.row.status === 'pending_approval') {
                card = await core.approvals.card(rec.row.id);
                const jws = await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve');
                await core.approvals.decide(rec.row.id, jws);
              }
              const after = await core.proposals.load(rec.row.id)!;
              if (o.op === 'create' && after.row.status === 'executed' && after.row.result) {
                drafts.push(String((JSON.parse(after.row.result) as { draftId: string }).draftId));
              }
              const b = await box();
              const sent = b.messages.filter((m) => m.labels?.includes('SENT'));
              if (sent.length === before) continue;
              // Exactly one message per executed send, and it is this proposal's.
              expect(sent.length).toBe(before + 1);
              expect(after.row.status).toBe('executed');
              sends++;
              const message = sent[sent.length - 1]!;
              const reached = [...(message.to ?? []), ...(message.cc ?? []), ...(message.bcc ?? [])]
                .flatMap(extractAddresses)
                .map((a) => a.toLowerCase())
                .filter((a) => a !== OWNER);
              const checked = (
                (card ?? (await core.approvals.card(rec.row.id))).derivedRecipients as { address: string }[]
              ).map((r) => r.address.toLowerCase());
              for (const address of reached)
                expect(checked, `${address} reached by ${request.action}`).toContain(address);
            }
          } finally {
            await core.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect(sends).toBeGreaterThan(0);
    console.log(`outbound property: ${RUNS} runs, ${sends} messages sent and checked, 0 counterexamples`);
  }, 1_800_000);
});

function toRequest(o: Op, drafts: readonly string[]): { action: string; params: Record<string, unknown> } | null {
  const draftAt = (i: number) => (drafts.length === 0 ? undefined : drafts[i % drafts.length]);
  switch (o.op) {
    case 'read':
      return { action: 'gmail.get', params: { messageId: o.messageId } };
    case 'create':
      return {
        action: 'gmail.drafts.create',
        params: defined({ to: o.to, cc: o.cc, bcc: o.bcc, threadId: o.threadId, subject: 'Plan', body: 'Sure' }),
      };
    case 'update': {
      const draftId = draftAt(o.draft);
      return draftId
        ? { action: 'gmail.drafts.update', params: defined({ draftId, to: o.to, cc: o.cc, bcc: o.bcc, body: o.body }) }
        : null;
    }
    case 'sendDraft': {
      const draftId = draftAt(o.draft);
      return draftId ? { action: 'gmail.drafts.send', params: { draftId } } : null;
    }
    case 'send':
      return {
        action: 'gmail.send',
        params: defined({ to: o.to, cc: o.cc, bcc: o.bcc, subject: 'Hi', body: 'Hello' }),
      };
    case 'reply':
      return {
        action: 'gmail.reply',
        params: defined({ messageId: o.messageId, body: 'Thanks', replyAll: o.replyAll, cc: o.cc, bcc: o.bcc }),
      };
    case 'forward':
      return { action: 'gmail.forward', params: defined({ messageId: o.messageId, to: o.to, cc: o.cc, bcc: o.bcc }) };
    case 'editOutside':
      return null;
  }
}
