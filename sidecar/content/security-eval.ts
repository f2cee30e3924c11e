// Scores the security-mail detector on a labelled corpus: recall and false-positive rate, per language and category.
import { z } from 'zod';
import { detectSecurityMail } from './security-mail.ts';

export const CORPUS_LANGUAGES = ['en', 'de', 'fr', 'es', 'pt', 'it', 'nl', 'pl', 'ja', 'zh'] as const;

export const CorpusEntrySchema = z.strictObject({
  id: z.string().min(1),
  lang: z.enum(CORPUS_LANGUAGES),
  label: z.enum(['sensitive', 'benign']),
  category: z.string().min(1),
  subject: z.string(),
  body: z.string(),
});
export type CorpusEntry = z.infer<typeof CorpusEntrySchema>;

/** Parses a JSONL corpus; a bad line is an error naming its number. */
export function parseCorpus(jsonl: string, name: string): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  jsonl.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const r = CorpusEntrySchema.safeParse(JSON.parse(line));
    if (!r.success) throw new Error(`${name} line ${i + 1}: ${r.error.issues[0]?.message ?? 'invalid'}`);
    out.push(r.data);
  });
  return out;
}

export interface Counts {
  tp: number;
  fn: number;
  fp: number;
  tn: number;
}

export interface Score extends Counts {
  recall: number | undefined;
  fpr: number | undefined;
}

const score = (c: Counts): Score => ({
  ...c,
  recall: c.tp + c.fn === 0 ? undefined : c.tp / (c.tp + c.fn),
  fpr: c.fp + c.tn === 0 ? undefined : c.fp / (c.fp + c.tn),
});

export interface Evaluation {
  overall: Score;
  byLanguage: Record<string, Score>;
  byCategory: Record<string, Score>;
  /** Ids of misses and false alarms (for the development set only; the test set is read as totals). */
  missed: string[];
  falseAlarms: string[];
}

export function evaluate(corpus: readonly CorpusEntry[]): Evaluation {
  const all: Counts = { tp: 0, fn: 0, fp: 0, tn: 0 };
  const lang: Record<string, Counts> = {};
  const cat: Record<string, Counts> = {};
  const missed: string[] = [];
  const falseAlarms: string[] = [];
  for (const e of corpus) {
    const got = detectSecurityMail({ subject: e.subject, body: e.body }).sensitive;
    const key: keyof Counts = e.label === 'sensitive' ? (got ? 'tp' : 'fn') : got ? 'fp' : 'tn';
    if (key === 'fn') missed.push(e.id);
    if (key === 'fp') falseAlarms.push(e.id);
    const l = lang[e.lang] ?? { tp: 0, fn: 0, fp: 0, tn: 0 };
    const k = cat[e.category] ?? { tp: 0, fn: 0, fp: 0, tn: 0 };
    lang[e.lang] = l;
    cat[e.category] = k;
    for (const c of [all, l, k]) c[key]++;
  }
  const map = (r: Record<string, Counts>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, score(v)]));
  return { overall: score(all), byLanguage: map(lang), byCategory: map(cat), missed, falseAlarms };
}

const fmt = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(3));

/** The Markdown table the documentation carries for a development and a test evaluation. */
export function reportTable(dev: Evaluation, test: Evaluation): string {
  const rows: string[] = [
    '| slice | dev recall | dev FPR | dev n (sens/benign) | test recall | test FPR | test n (sens/benign) |',
    '|---|---|---|---|---|---|---|',
  ];
  const line = (name: string, d: Score | undefined, t: Score | undefined) => {
    const n = (s: Score | undefined) => (s === undefined ? '–' : `${s.tp + s.fn}/${s.fp + s.tn}`);
    rows.push(
      `| ${name} | ${fmt(d?.recall)} | ${fmt(d?.fpr)} | ${n(d)} | ${fmt(t?.recall)} | ${fmt(t?.fpr)} | ${n(t)} |`,
    );
  };
  line('**all**', dev.overall, test.overall);
  for (const l of CORPUS_LANGUAGES) line(l, dev.byLanguage[l], test.byLanguage[l]);
  const cats = [...new Set([...Object.keys(dev.byCategory), ...Object.keys(test.byCategory)])].sort();
  for (const c of cats) line(`\`${c}\``, dev.byCategory[c], test.byCategory[c]);
  return rows.join('\n');
}
