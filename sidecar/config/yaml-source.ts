// Strict YAML loading: parse, validate with zod, and point every problem at file, line and key.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';

export interface SourceProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

export type SourceResult<T> = { ok: true; value: T } | { ok: false; problems: SourceProblem[] };

export function formatProblems(problems: readonly SourceProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n');
}

export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): SourceResult<z.infer<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    return { ok: false, problems: [{ file, line: 0, column: 0, path: '', message: `cannot read: ${reason}` }] };
  }
  return parseYamlText(text, file, schema);
}

export function parseYamlText<S extends z.ZodType>(text: string, file: string, schema: S): SourceResult<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    };
  }
  const data: unknown = doc.toJS() ?? {};
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };

  const problems: SourceProblem[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const where = locate(doc.contents, [...path, key], lineCounter, true);
        problems.push({
          file,
          ...where,
          path: [...path, key].join('.'),
          message: `unknown key "${key}" (mailwarden enforces every key it accepts; remove it or check the spelling)`,
        });
      }
      continue;
    }
    const where = locate(doc.contents, path, lineCounter, false);
    problems.push({ file, ...where, path: path.join('.'), message: issue.message });
  }
  return { ok: false, problems };
}

function locate(
  root: Node | null | undefined | unknown,
  path: readonly (string | number)[],
  lc: LineCounter,
  keyPosition: boolean,
): { line: number; column: number } {
  let node: unknown = root;
  let best: { line: number; column: number } = { line: 1, column: 1 };
  for (const segment of path) {
    if (!isMap(node) && !(node && typeof node === 'object' && 'items' in node)) break;
    const items = (node as { items: unknown[] }).items;
    let next: unknown;
    if (isMap(node)) {
      const pair = items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair || !isPair(pair)) break;
      const keyNode = pair.key as Node;
      if (keyNode.range) {
        const pos = lc.linePos(keyNode.range[0]);
        best = { line: pos.line, column: pos.col };
      }
      next = pair.value;
      if (keyPosition && segment === path[path.length - 1]) return best;
    } else {
      next = typeof segment === 'number' ? items[segment] : undefined;
    }
    const n = next as Node | undefined;
    if (n?.range) {
      const pos = lc.linePos(n.range[0]);
      best = { line: pos.line, column: pos.col };
    }
    node = next;
  }
  return best;
}
