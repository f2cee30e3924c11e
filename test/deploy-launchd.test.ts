// The macOS launch daemon plist: well-formed XML (xmllint when present, a strict parser always) with the keys it needs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PLIST_PATH = join(import.meta.dirname, '..', 'scripts', 'deploy', 'launchd', 'com.mailwarden.sidecar.plist');
const text = readFileSync(PLIST_PATH, 'utf8');

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

/**
 * A strict little XML reader for property lists: prolog, DOCTYPE, comments, elements and text.
 * It throws on anything unbalanced, unknown entities, stray '<' or attributes it cannot parse.
 */
function parseXml(src: string): XmlNode {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML error at ${i}: ${msg}`);
  };
  const skipMisc = (): void => {
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i));
      i += ws?.[0].length ?? 0;
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        if (src.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
        i = end + 3;
      } else if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (src.startsWith('<!DOCTYPE', i)) {
        const end = src.indexOf('>', i);
        if (end < 0) fail('unterminated DOCTYPE');
        i = end + 1;
      } else return;
    }
  };
  const decode = (s: string): string => {
    if (s.includes('<')) fail('stray "<" in text');
    return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (m, ent: string | undefined) => {
      if (ent === undefined) return fail('bare "&"');
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
      if (ent.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ent.slice(2), 16));
      if (ent.startsWith('#')) return String.fromCodePoint(Number(ent.slice(1)));
      return named[ent] ?? fail(`unknown entity ${m}`);
    });
  };
  const element = (): XmlNode => {
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/.exec(src.slice(i));
    if (!open) return fail('expected an element');
    i += open[0].length;
    const node: XmlNode = { name: open[1] as string, children: [], text: '' };
    if (open[3] === '/') return node;
    for (;;) {
      const next = src.indexOf('<', i);
      if (next < 0) fail(`unclosed <${node.name}>`);
      node.text += decode(src.slice(i, next));
      i = next;
      if (src.startsWith('<!--', i)) {
        skipMisc();
        continue;
      }
      if (src.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(src.slice(i));
        if (!close || close[1] !== node.name) fail(`expected </${node.name}>`);
        i += (close as RegExpExecArray)[0].length;
        return node;
      }
      node.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== src.length) fail('content after the root element');
  return root;
}

function plistValue(node: XmlNode): PlistValue {
  switch (node.name) {
    case 'string':
      return node.text;
    case 'integer':
      if (!/^-?\d+$/.test(node.text.trim())) throw new Error(`bad integer ${node.text}`);
      return Number(node.text);
    case 'true':
      return true;
    case 'false':
      return false;
    case 'array':
      return node.children.map(plistValue);
    case 'dict': {
      const out: Record<string, PlistValue> = {};
      for (let k = 0; k < node.children.length; k += 2) {
        const key = node.children[k];
        const value = node.children[k + 1];
        if (key?.name !== 'key' || value === undefined) throw new Error('dict must alternate <key> and a value');
        if (key.text in out) throw new Error(`duplicate key ${key.text}`);
        out[key.text] = plistValue(value);
      }
      return out;
    }
    default:
      throw new Error(`unknown plist element <${node.name}>`);
  }
}

const root = parseXml(text);
const plist = plistValue(root.children[0] as XmlNode) as Record<string, PlistValue>;

describe('com.mailwarden.sidecar.plist', () => {
  it('is a plist 1.0 with one dict', () => {
    expect(root.name).toBe('plist');
    expect(root.children.map((c) => c.name)).toEqual(['dict']);
  });

  it('passes xmllint when it is installed (bash scripts/ci-deps.sh provides it)', () => {
    const r = spawnSync('xmllint', ['--noout', PLIST_PATH], { encoding: 'utf8' });
    if (r.error && process.env.CI !== 'true') {
      // Without xmllint the strict parser above is the check; in CI xmllint must exist.
      expect(plist.Label).toBe('com.mailwarden.sidecar');
      return;
    }
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the strict parser rejects broken XML (so it is a real check)', () => {
    expect(() => parseXml('<plist><dict></plist>')).toThrow(/expected <\/dict>/);
    expect(() => parseXml('<plist>a & b</plist>')).toThrow(/bare "&"/);
    expect(() => parseXml('<plist></plist><x/>')).toThrow(/after the root/);
  });

  it('runs as a dedicated user and group', () => {
    expect(plist.UserName).toBe('_mailwarden');
    expect(plist.GroupName).toBe('_mailwarden');
  });

  it('runs mailwarden serve with an explicit config', () => {
    expect(plist.ProgramArguments).toEqual([
      '/usr/local/bin/mailwarden',
      'serve',
      '--config',
      '/usr/local/var/mailwarden/mailwarden.yaml',
    ]);
  });

  it('starts at load, restarts after a crash but not after a clean stop, with umask 0077', () => {
    expect(plist.Label).toBe('com.mailwarden.sidecar');
    expect(plist.RunAtLoad).toBe(true);
    expect(plist.KeepAlive).toEqual({ SuccessfulExit: false });
    expect(plist.Umask).toBe(0o077);
  });
});
