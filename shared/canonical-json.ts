// RFC 8785 (JSON Canonicalization Scheme): the one byte form that proposal hashes and evidence records are computed over.

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

/**
 * Serialise a JSON value canonically: object keys sorted by UTF-16 code units, no whitespace,
 * ECMAScript number formatting, minimal string escaping. Values JSON cannot carry
 * (undefined, functions, NaN, Infinity, bigint, lone surrogates) are errors rather than
 * silently dropped, because a hash over a lossy form would bind the wrong thing.
 */
export function canonicalize(value: unknown): string {
  return write(value, []);
}

// With the u flag, \p{Cs} matches only a surrogate that is not half of a pair. (Not String#isWellFormed: this
// module is also compiled inside agent hosts whose TypeScript library may predate ES2024.)
const LONE_SURROGATE = /\p{Cs}/u;
/** What JSON.stringify escapes in a well-formed string: the quote, the backslash and the C0 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are exactly what must be found here.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * A string value or key in quotes, escaped as JSON.stringify does (most need no escape at all); one holding a
 * lone surrogate is not text and is refused.
 */
function quote(s: string, what: 'string' | 'key'): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalJsonError(`cannot canonicalize a ${what} with a lone surrogate`);
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// Built by string concatenation (V8 ropes), with the enclosing objects on a stack instead of a set: this runs
// for every proposal and every evidence record, so it is on the hot path of every request.
function write(value: unknown, parents: object[]): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`cannot canonicalize the number ${value}`);
      // ECMAScript Number::toString is exactly RFC 8785's number form (and -0 prints as 0).
      return JSON.stringify(value);
    case 'string':
      return quote(value, 'string');
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`cannot canonicalize a value of type ${typeof value}`);
  }
  const obj = value as object;
  if (parents.includes(obj)) throw new CanonicalJsonError('cannot canonicalize a cyclic structure');
  parents.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) {
      const item: unknown = obj[i];
      if (item === undefined) throw new CanonicalJsonError('cannot canonicalize undefined inside an array');
      out += i > 0 ? `,${write(item, parents)}` : write(item, parents);
    }
    out += ']';
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError('cannot canonicalize a non-plain object');
    }
    const record = obj as Record<string, unknown>;
    // The default sort compares UTF-16 code units, which is exactly RFC 8785's key order.
    const keys = Object.keys(record).sort();
    out = '{';
    let first = true;
    for (const key of keys) {
      const v = record[key];
      if (v === undefined) continue;
      out += `${first ? '' : ','}${quote(key, 'key')}:${write(v, parents)}`;
      first = false;
    }
    out += '}';
  }
  parents.pop();
  return out;
}
