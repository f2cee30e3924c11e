// The demo mailbox is written around a reference day; init moves it to today so it always looks recent.

/** The day the fixture's dates were written around. */
export const DEMO_REFERENCE_DAY = Date.UTC(2026, 10, 22);
const DAY_MS = 86_400_000;

function shift(value: unknown, days: number): unknown {
  if (typeof value !== 'string' || days === 0) return value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return new Date(Date.parse(`${value}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t + days * DAY_MS).toISOString().replace('.000Z', 'Z');
}

/** Moves every message, draft and event date by whole days so the reference day becomes `now`'s day. */
export function rebaseDemoMailbox(mailbox: Record<string, unknown>, now: Date): Record<string, unknown> {
  const days = Math.floor((now.getTime() - DEMO_REFERENCE_DAY) / DAY_MS);
  const mapDates = (items: unknown, keys: readonly string[]) =>
    Array.isArray(items)
      ? items.map((item: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(item).map(([k, v]) => [k, keys.includes(k) ? shift(v, days) : v])),
        )
      : items;
  return {
    ...mailbox,
    messages: mapDates(mailbox.messages, ['date']),
    drafts: mapDates(mailbox.drafts, ['date']),
    events: mapDates(mailbox.events, ['start', 'end']),
  };
}
