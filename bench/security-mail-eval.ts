// Prints the security-mail evaluation table that docs/content-controls.md carries (dev set and frozen test set).
// Run: node --import tsx bench/security-mail-eval.ts
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate, parseCorpus, reportTable } from '../sidecar/content/security-eval.ts';

const read = (name: string) =>
  parseCorpus(readFileSync(fileURLToPath(new URL(`../fixtures/security-mail/${name}`, import.meta.url)), 'utf8'), name);

const dev = evaluate(read('dev.jsonl'));
const test = evaluate(read('test.jsonl'));
console.log(reportTable(dev, test));
