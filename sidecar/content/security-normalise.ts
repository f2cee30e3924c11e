// Folds text for matching (NFKC, look-alike letters, invisible characters) and maps offsets back to the original.

/**
 * Latin look-alikes from Cyrillic and Greek that phishing and spam use to dodge keyword filters
 * ("vеrification" with a Cyrillic е). Only letters that are visually identical in common fonts.
 */
const LOOKALIKE: Readonly<Record<string, string>> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ɡ: 'g',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  І: 'I',
  Ј: 'J',
  Ѕ: 'S',
  ο: 'o',
  α: 'a',
  ν: 'v',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Χ: 'X',
  Υ: 'Y',
};

const CJK_PUNCT: Readonly<Record<string, string>> = {
  '，': ',',
  '。': '.',
  '：': ':',
  '；': ';',
  '！': '!',
  '？': '?',
  '、': ',',
};

/** Zero-width and formatting characters that split a word or a code without being seen. */
const INVISIBLE = /^(?:[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u180e]|\u034f)$/u;

export interface Folded {
  /** The folded text that patterns run on. */
  text: string;
  /**
   * For every UTF-16 index of `text` (and one past the end), the index in the original it came from.
   * Undefined when folding changed nothing, so offsets are the same.
   */
  map?: Int32Array;
}

/**
 * NFKC per character (full-width digits and letters become ASCII, ligatures split, "①" becomes "1"),
 * Cyrillic/Greek look-alikes become Latin, invisible characters disappear, and non-breaking or other
 * Unicode spaces become a plain space. Case is kept: patterns decide about case themselves.
 */
export function foldForMatching(original: string): Folded {
  // Fast path: plain ASCII is already folded.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (/^[\x00-\x7f]*$/u.test(original)) return { text: original };
  let out = '';
  const map: number[] = [];
  let changed = false;
  let i = 0;
  for (const ch of original) {
    let f: string;
    if (ch.charCodeAt(0) < 0x80) f = ch;
    else if (INVISIBLE.test(ch)) f = '';
    else if (/^\p{Zs}$/u.test(ch)) f = ' ';
    // CJK punctuation becomes ASCII plus a space, so "码是 7731，5分钟" does not read as the decimal "7731,5".
    else if (CJK_PUNCT[ch] !== undefined) f = `${CJK_PUNCT[ch]} `;
    else {
      const l = LOOKALIKE[ch];
      f = l ?? ch.normalize('NFKC');
    }
    if (f !== ch) changed = true;
    for (let k = 0; k < f.length; k++) map.push(i);
    out += f;
    i += ch.length;
  }
  if (!changed) return { text: original };
  map.push(i);
  return { text: out, map: Int32Array.from(map) };
}

/** The original offset of a folded offset. */
export function originalOffset(f: Folded, at: number): number {
  if (f.map === undefined) return at;
  const v = f.map[Math.min(Math.max(at, 0), f.map.length - 1)];
  return v ?? at;
}

/** The original span of a folded span [start, end): the end maps past the last folded character. */
export function originalSpan(f: Folded, start: number, end: number, original: string): [number, number] {
  if (f.map === undefined) return [start, end];
  const s = originalOffset(f, start);
  if (end <= start) return [s, s];
  const lastSrc = originalOffset(f, end - 1);
  const cp = original.codePointAt(lastSrc) ?? 0;
  return [s, lastSrc + (cp > 0xffff ? 2 : 1)];
}

/**
 * Every match of a global pattern. Unlike String.prototype.matchAll it runs the pattern object itself
 * rather than a fresh copy, so the engine keeps its compiled code warm between mails (the big
 * case-insensitive Unicode patterns cost milliseconds to compile).
 */
export function* execAll(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(text);
    if (m === null) break;
    if (m[0] === '') re.lastIndex++;
    yield m;
  }
  re.lastIndex = 0;
}
