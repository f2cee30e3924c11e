// Renders an HTML mail body as readable plain text (links kept as "text [url]"), with html-to-text.
import { createRequire } from 'node:module';

interface HtmlToText {
  compile(options: object): (html: string) => string;
}

/** Bodies bigger than this are cut before rendering: a mail of megabytes of markup is not read in full. */
export const MAX_HTML_CHARS = 400_000;

const OPTIONS = {
  wordwrap: false,
  // Parsing stops here; the renderer never sees more than the cap.
  limits: { maxInputLength: MAX_HTML_CHARS, ellipsis: '…' },
  selectors: [
    // Links stay visible with their target, so a tokenised link is found and redacted like any other.
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false, noAnchorUrl: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'head', format: 'skip' },
    // Layout tables: cells become lines instead of a drawn grid.
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block' },
    { selector: 'td', format: 'block' },
    { selector: 'th', format: 'block' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
  ],
};

/** Tags that only HTML mail uses; plain text that mentions "<b>" once is not HTML. */
const HTML_MARKERS =
  /<(?:html|body|div|table|td|tr|p|br|span|a\s+href|b|strong|h[1-6]|img|font|center|style)\b[^>]*>/giu;

/** True when a body is an HTML document or fragment rather than plain text. */
export function looksLikeHtml(body: string): boolean {
  const head = body.slice(0, 4000);
  if (/^\s*(?:<!doctype\s+html|<html\b)/iu.test(head)) return true;
  let n = 0;
  for (const _ of head.matchAll(HTML_MARKERS)) {
    n++;
    if (n >= 2) return true;
  }
  return false;
}

/**
 * Loaded and compiled on the first HTML body, not at start-up (about 30 ms), and then kept: compiling the
 * options costs far more than converting a mail.
 */
let convert: ((html: string) => string) | null = null;
function converter(): (html: string) => string {
  // html-to-text ships no type declarations; the one function used here is typed by hand.
  convert ??= (createRequire(import.meta.url)('html-to-text') as HtmlToText).compile(OPTIONS);
  return convert;
}

/** Plain text of an HTML body: block elements on their own lines, link targets in brackets, no markup. */
export function htmlToText(html: string): string {
  return converter()(html)
    .replace(/[ \t]+\n/gu, '\n')
    .replace(/\n{3,}/gu, '\n\n')
    .trim();
}
