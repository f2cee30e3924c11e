// Marks mail text from outside the owner's domains as untrusted, in gog's --wrap-untrusted format.

const OPEN = 'EXTERNAL_UNTRUSTED_CONTENT';
const CLOSE = 'END_EXTERNAL_UNTRUSTED_CONTENT';

/**
 * SECURITY: mail text must never be able to close the wrapper early and speak as the system. Any run of
 * angle brackets (ASCII or look-alike) becomes single guillemets, and the marker words get a suffix, so no
 * forged marker survives in any spelling.
 */
export function neutraliseMarkers(text: string): string {
  // Invisible format characters (zero-width spaces, joiners) could split a marker so the word match
  // misses it while a reader still sees it; where a marker might hide, they are removed first.
  const visible = text.replace(/\p{Cf}/gu, '');
  const source = /[<>\uFF1C\uFF1E\uFE64\uFE65]{2}|UNTRUSTED/iu.test(visible) ? visible : text;
  return source
    .replace(/[<\uFF1C\uFE64\u2039\u2329\u3008]{2,}/gu, (m) => '\u2039'.repeat(m.length))
    .replace(/[>\uFF1E\uFE65\u203A\u232A\u3009]{2,}/gu, (m) => '\u203A'.repeat(m.length))
    .replace(/(END[_\s-]*)?EXTERNAL[_\s-]*UNTRUSTED[_\s-]*CONTENT/giu, (_m, end: string | undefined) =>
      end ? 'END-EXTERNAL-UNTRUSTED-CONTENT(quoted)' : 'EXTERNAL-UNTRUSTED-CONTENT(quoted)',
    );
}

/** The id goes inside a quoted attribute: keep it to a safe alphabet. */
function safeId(id: string): string {
  const cleaned = id.replace(/[^A-Za-z0-9_.:@+=-]/g, '_').slice(0, 128);
  return cleaned === '' ? 'unknown' : cleaned;
}

export function wrapUntrusted(text: string, id: string): string {
  const sid = safeId(id);
  return `<<<${OPEN} id="${sid}">>>\nSource: google_api\n---\n${neutraliseMarkers(text)}\n<<<${CLOSE} id="${sid}">>>`;
}

/** Lenient extraction of the sender's address from a From header ("Name <a@b>" or "a@b"). */
export function senderAddress(from: string): string | undefined {
  const angle = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from);
  const bare = /^\s*([^<>\s"]+@[^<>\s"]+)\s*$/.exec(from);
  const addr = angle?.[1] ?? bare?.[1];
  return addr?.toLowerCase();
}

/** True when the sender's domain is one of the internal domains (exact match, case-insensitive). */
export function isInternalSender(from: string, internalDomains: readonly string[]): boolean {
  const addr = senderAddress(from);
  if (addr === undefined) return false;
  const at = addr.lastIndexOf('@');
  const domain = addr.slice(at + 1);
  return internalDomains.some((d) => d.toLowerCase() === domain);
}
