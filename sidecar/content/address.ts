// Strict parsing of one recipient address: bare ASCII mailbox, no tricks, canonical lower-case form.
import { domainToASCII } from 'node:url';

export type ParsedAddress = { ok: true; address: string; domain: string } | { ok: false; reason: string };

export interface AddressOptions {
  /** Internationalised domains the owner accepts (as written or as xn-- form); all others are refused. */
  allowUnicodeDomains?: readonly string[];
}

const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const show = (raw: string) => JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);

function refuse(raw: string, why: string): ParsedAddress {
  return { ok: false, reason: `address ${show(raw)} refused: ${why}` };
}

function allowedIdn(domain: string, options: AddressOptions): string | undefined {
  for (const entry of options.allowUnicodeDomains ?? []) {
    const ascii = domainToASCII(entry.normalize('NFC').toLowerCase());
    if (ascii !== '' && ascii === domain) return ascii;
  }
  return undefined;
}

/**
 * SECURITY: the address decides where mail goes, so anything a mail client might read differently is
 * refused rather than repaired: display names, angle brackets, comments, quoted local parts, CR/LF and
 * other whitespace, several "@", IP literals, trailing dots, and non-ASCII or punycode domains that could
 * imitate another (unless allowlisted).
 */
export function parseAddress(raw: string, options: AddressOptions = {}): ParsedAddress {
  if (typeof raw !== 'string') return { ok: false, reason: 'address must be a string' };
  if (raw.length === 0) return refuse(raw, 'it is empty');
  if (raw.length > 320) return refuse(raw, 'it is longer than 320 characters');
  if (/[\r\n]/.test(raw)) return refuse(raw, 'it contains a line break (header injection)');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(raw)) return refuse(raw, 'it contains control characters');
  if (/\s/u.test(raw)) return refuse(raw, 'it contains whitespace; give the bare address without a display name');
  if (/[<>]/.test(raw)) return refuse(raw, 'it has angle brackets; give the bare address without a display name');
  if (/[()]/.test(raw)) return refuse(raw, 'it contains a comment in parentheses');
  if (raw.includes('"')) return refuse(raw, 'quoted local parts are not accepted');
  if (/[,;:\\]/.test(raw)) return refuse(raw, 'it contains a list separator, colon or backslash');
  if (/[[\]]/.test(raw)) return refuse(raw, 'IP-literal domains are not accepted');
  const at = raw.split('@');
  if (at.length !== 2) return refuse(raw, at.length < 2 ? 'it has no "@"' : 'it has more than one "@"');
  const [local = '', rawDomain = ''] = at;

  if (local === '') return refuse(raw, 'the part before "@" is empty');
  if (local.length > 64) return refuse(raw, 'the part before "@" is longer than 64 characters');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is "only ASCII"
  if (!/^[\u0000-\u007f]*$/.test(local)) return refuse(raw, 'the part before "@" is not ASCII');
  const atoms = local.split('.');
  if (atoms.some((a) => a === '')) return refuse(raw, 'the part before "@" has a leading, trailing or double dot');
  if (!atoms.every((a) => LOCAL_ATOM.test(a))) return refuse(raw, 'the part before "@" has characters not allowed');
  // SECURITY: "%" and "!" are old relay routing syntax ("a%evil.example@corp"), "=?" starts an encoded word
  // that some clients display decoded: none belongs in an address an agent writes.
  if (/[%!]/.test(local)) return refuse(raw, 'the part before "@" contains "%" or "!" (relay routing syntax)');
  if (local.includes('=?')) return refuse(raw, 'the part before "@" contains an encoded word ("=?")');

  if (rawDomain === '') return refuse(raw, 'the domain is empty');
  if (rawDomain.endsWith('.')) return refuse(raw, 'the domain ends with a dot');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is "only ASCII"
  const asciiDomain = /^[\u0000-\u007f]*$/.test(rawDomain);
  let domain = rawDomain.toLowerCase();
  if (!asciiDomain) {
    const allowed = allowedIdn(domainToASCII(rawDomain.normalize('NFC').toLowerCase()), options);
    if (allowed === undefined) {
      return refuse(
        raw,
        'the domain has non-ASCII characters (possible look-alike); allowlist it in outbound.allowUnicodeDomains if it is genuine',
      );
    }
    domain = allowed;
  } else if (domain.split('.').some((l) => l.startsWith('xn--')) && allowedIdn(domain, options) === undefined) {
    return refuse(
      raw,
      'the domain is punycode (xn--), a possible look-alike; allowlist it in outbound.allowUnicodeDomains if it is genuine',
    );
  }
  if (domain.length > 253) return refuse(raw, 'the domain is longer than 253 characters');
  const labels = domain.split('.');
  if (labels.length < 2) return refuse(raw, 'the domain needs at least one dot (e.g. example.com)');
  if (!labels.every((l) => LABEL.test(l))) return refuse(raw, 'the domain has an empty or malformed label');
  const tld = labels[labels.length - 1] ?? '';
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) {
    return refuse(raw, 'the top-level domain is not alphabetic (IP addresses are not accepted)');
  }
  return { ok: true, address: `${local.toLowerCase()}@${domain}`, domain };
}

/** Lenient extraction of addresses from header values ("Name <a@b>", "a@b, c@d") for derived recipients. */
export function extractAddresses(header: string): string[] {
  const out: string[] = [];
  for (const part of header.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const angle = /<([^<>]*)>\s*$/.exec(part);
    const value = (angle?.[1] ?? part).trim();
    if (value !== '') out.push(value);
  }
  return out;
}
