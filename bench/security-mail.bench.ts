// Security-mail cost per message: classification plus redaction (filterMessage in redact mode), p50/p99 in µs.
// Run: node --import tsx bench/security-mail.bench.ts   (target: p99 <= 200 µs for a typical message)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Message } from '../shared/results.ts';
import { ContentPolicySchema, filterMessage, htmlToText, looksLikeHtml } from '../sidecar/content/index.ts';
import { parseCorpus } from '../sidecar/content/security-eval.ts';
import { quantile } from './stats.ts';

const corpus = parseCorpus(
  readFileSync(fileURLToPath(new URL('../fixtures/security-mail/dev.jsonl', import.meta.url)), 'utf8'),
  'dev.jsonl',
);
const policy = ContentPolicySchema.parse({ securityMail: { mode: 'redact' }, threadMode: 'full' });

/**
 * A typical message as the filter receives it: one of the corpus mails with a signature below it. An
 * HTML-only mail reaches the filter already rendered to text (sidecar/exec/normalise.ts does that once
 * per mail), so HTML bodies are rendered here first and that rendering is timed on its own below.
 */
const htmlBodies = corpus.map((c) => c.body).filter(looksLikeHtml);
const messages: Message[] = corpus.map((c, i) => ({
  id: `m${i}`,
  threadId: `t${i}`,
  from: 'Sender <sender@example.com>',
  to: ['owner@corp.example'],
  cc: [],
  bcc: [],
  date: '2026-11-22T08:00:00Z',
  subject: c.subject,
  labels: ['INBOX'],
  body: `${looksLikeHtml(c.body) ? htmlToText(c.body) : c.body}\n\n--\nExample Ltd · 1 High Street · London\nhttps://example.com/help · Privacy · Terms`,
  attachments: [],
}));

/** Baseline in the same run: copying the message and lower-casing its text (the least any filter does). */
function baseline(m: Message): number {
  return `${m.subject}\n${m.body}`.toLowerCase().length + { ...m }.id.length;
}

/** Wall time of every call, per message: `out[i]` holds the rounds of message i. */
function measure(fn: (m: Message) => unknown, rounds: number): number[][] {
  const out: number[][] = messages.map(() => []);
  for (let r = 0; r < rounds; r++) {
    messages.forEach((m, i) => {
      const t0 = process.hrtime.bigint();
      fn(m);
      out[i]?.push(Number(process.hrtime.bigint() - t0) / 1000);
    });
  }
  return out;
}

const best = (xs: number[][]) => xs.map((r) => Math.min(...r));
const all = (xs: number[][]) => xs.flat();

// Warm up the regex engine and the JIT before measuring.
measure((m) => filterMessage(m, policy), 3);
measure(baseline, 3);
const filter = measure((m) => filterMessage(m, policy), 15);
const base = measure(baseline, 15);
// The same message over and over: identical work, so its spread is what the machine adds.
const fixed = messages[0];
const noise = fixed === undefined ? [] : measure(() => filterMessage(fixed, policy), 15);

// On a shared machine a call is sometimes descheduled for milliseconds. A message's own cost is its best
// of 15 runs; the p99 is taken over messages. The raw p99 over all calls is printed beside it, with the
// same statistic for one message filtered again and again, so the stretch the machine adds is visible.
const p = (xs: number[], q: number) => quantile(xs, q).toFixed(1);
const p99 = quantile(best(filter), 0.99);
console.log(
  `security mail: ${messages.length} messages x 15 rounds, classification + redaction (filterMessage, redact)`,
);
console.log(
  `  filterMessage  per message (best of 15): p50 ${p(best(filter), 0.5)} µs  p99 ${p99.toFixed(1)} µs  max ${p(best(filter), 1)} µs`,
);
console.log(`  filterMessage  all calls:                p50 ${p(all(filter), 0.5)} µs  p99 ${p(all(filter), 0.99)} µs`);
console.log(
  `  same message   all calls:                p50 ${p(all(noise), 0.5)} µs  p99 ${p(all(noise), 0.99)} µs  (machine stretch ${(quantile(all(noise), 0.99) / quantile(all(noise), 0.5)).toFixed(1)}x at p99)`,
);
console.log(
  `  baseline (copy + lower-case) per message: p99 ${p(best(base), 0.99)} µs; ratio ${(p99 / Math.max(quantile(best(base), 0.99), 0.001)).toFixed(0)}x`,
);
const html: number[] = [];
for (let r = 0; r < 15; r++) {
  for (const h of htmlBodies) {
    const t0 = process.hrtime.bigint();
    htmlToText(h);
    html.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
}
console.log(
  `  HTML rendering (html-to-text, once per HTML-only mail, ${htmlBodies.length} mails): p50 ${p(html, 0.5)} µs`,
);
const ok = p99 <= 200;
console.log(`  target p99 <= 200 µs per typical message: ${ok ? 'met' : 'NOT met'}`);
process.exitCode = ok ? 0 : 1;
