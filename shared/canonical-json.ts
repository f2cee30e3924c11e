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
  const out: string[] = [];
  write(value, out, new Set());
  return out.join('');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function write(value: unknown, out: string[], seen: Set<object>): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`cannot canonicalize the number ${value}`);
      // ECMAScript Number::toString is exactly RFC 8785's number form (and -0 prints as 0).
      out.push(JSON.stringify(value));
      return;
    case 'string':
      if (LONE_SURROGATE.test(value))
        throw new CanonicalJsonError('cannot canonicalize a string with a lone surrogate');
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`cannot canonicalize a value of type ${typeof value}`);
  }
  const obj = value as object;
  if (seen.has(obj)) throw new CanonicalJsonError('cannot canonicalize a cyclic structure');
  seen.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    obj.forEach((item, i) => {
      if (i > 0) out.push(',');
      if (item === undefined) throw new CanonicalJsonError('cannot canonicalize undefined inside an array');
      write(item, out, seen);
    });
    out.push(']');
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError('cannot canonicalize a non-plain object');
    }
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      write(key, out, seen);
      out.push(':');
      write(record[key], out, seen);
    });
    out.push('}');
  }
  seen.delete(obj);
}
