import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './ids.ts';

describe('proposal ids', () => {
  it('are RFC 9562 version 7 UUIDs carrying the creation time in milliseconds', () => {
    const at = Date.UTC(2026, 11, 1, 5, 30, 0, 123);
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sort in creation order across milliseconds, so the primary key index grows at its end', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => timeOrderedId(1_796_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
  });

  it('stay unguessable and unique within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => timeOrderedId(1_796_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
