// Proposal ids: RFC 9562 version 7 UUIDs. The first 48 bits are the creation time in milliseconds, so ids sort in
// creation order and the state's primary key index grows at its end (a random id dirties a random index page per
// insert); the other 74 bits stay random, so an id is still not guessable.
import { randomUUID } from 'node:crypto';

export function timeOrderedId(nowMs: number = Date.now()): string {
  // A version 4 UUID has the variant and 122 random bits; its time fields become the timestamp, its version 7.
  const random = randomUUID();
  const t = nowMs.toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${random.slice(15)}`;
}
