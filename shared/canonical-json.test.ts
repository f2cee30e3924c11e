import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalize } from './canonical-json.ts';
import { canonicalDigest, sha256Hex } from './hash.ts';

describe('canonicalize (RFC 8785)', () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: [3, { y: true, x: null }] }, '{"z":[3,{"x":null,"y":true}]}'],
    [1e21, '1e+21'],
    [0.000001, '0.000001'],
    [-0, '0'],
    ['\u2028\n"', '"\u2028\\n\\""'],
    [{ '\u00e9': 1, e: 2, '\ud83d\ude00': 3, '\uffff': 4 }, '{"e":2,"é":1,"\ud83d\ude00":3,"\uffff":4}'],
  ])('serialises %j as %s', (input, expected) => {
    expect(canonicalize(input)).toBe(expected);
  });

  it('matches the RFC 8785 number examples', () => {
    const values = [Number.parseFloat('333333333.33333329'), 1e30, 4.5, 2e-3, 0.000000000000000000000000001];
    expect(canonicalize(values)).toBe('[333333333.3333333,1e+30,4.5,0.002,1e-27]');
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], [10n], ['\ud800'], [{ '\udc00x': 1 }], [new Date(0)], [() => 1]])(
    'refuses %s instead of hashing a lossy form',
    (value) => {
      expect(() => canonicalize(value)).toThrow(CanonicalJsonError);
    },
  );

  it('escapes every well-formed string and key exactly as JSON.stringify does', () => {
    // Strings are quoted without JSON.stringify when nothing in them needs an escape; the escapes that remain
    // (quote, backslash, C0 controls) must come out byte for byte as JSON.stringify writes them.
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', 'a', '\ud83d\ude00') }),
    );
    fc.assert(
      fc.property(text, text, (value, key) => {
        fc.pre(!/\p{Cs}/u.test(value) && !/\p{Cs}/u.test(key));
        expect(canonicalize(value)).toBe(JSON.stringify(value));
        expect(canonicalize({ [key]: value })).toBe(`{${JSON.stringify(key)}:${JSON.stringify(value)}}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalize(a)).toThrow(/cyclic/);
  });

  it('round-trips through JSON.parse to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(dict));
        expect(canonicalDigest(reversed)).toBe(canonicalDigest(dict));
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: canonical text re-canonicalised is unchanged', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('gives different digests to different canonical texts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(canonicalize(a) !== canonicalize(b));
        expect(canonicalDigest(a)).not.toBe(canonicalDigest(b));
      }),
      { numRuns: 300 },
    );
  });

  it('digests as sha256:<hex> of the canonical bytes', () => {
    expect(canonicalDigest({ b: 1, a: 'x' })).toBe(`sha256:${sha256Hex('{"a":"x","b":1}')}`);
  });
});
