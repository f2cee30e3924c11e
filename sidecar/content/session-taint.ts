// What a session must remember from the mail it read: external content, one-time codes, text fingerprints.
import { createHash } from 'node:crypto';
import { ACTIONS, type ActionName, ResultSchemas } from '../../shared/index.ts';
import { detectSecurityMail } from './security-mail.ts';
import { isInternalSender } from './untrusted.ts';

/**
 * Remembered per agent session. Excerpts are kept as hashes of 8-word windows ("shingles"), never as raw
 * text, so the session store holds no mail content; 8 words is roughly the 40 characters that count as a
 * verbatim excerpt.
 */
export interface SessionTaint {
  readExternal: boolean;
  readCodes: string[];
  readShingles: string[];
}

export const SHINGLE_WORDS = 8;

export function emptyTaint(): SessionTaint {
  return { readExternal: false, readCodes: [], readShingles: [] };
}

/** Lower-case letter/digit words; punctuation, quoting and line breaks do not hide an excerpt. */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

function hashWindow(window: string): string {
  return createHash('sha256').update(window).digest('hex').slice(0, 24);
}

export function shingles(text: string): string[] {
  const w = words(text);
  const out = new Set<string>();
  for (let i = 0; i + SHINGLE_WORDS <= w.length; i++) out.add(hashWindow(w.slice(i, i + SHINGLE_WORDS).join(' ')));
  return [...out];
}

/**
 * The longest stretch of `text` (in characters of normalised words) made of windows found in `known`.
 * Consecutive matching windows form one excerpt, so the length can be compared with a character threshold.
 */
export function longestKnownExcerpt(text: string, known: ReadonlySet<string>): number {
  const w = words(text);
  let best = 0;
  let runStart = -1;
  for (let i = 0; i + SHINGLE_WORDS <= w.length + 1; i++) {
    const hit = i + SHINGLE_WORDS <= w.length && known.has(hashWindow(w.slice(i, i + SHINGLE_WORDS).join(' ')));
    if (hit && runStart < 0) runStart = i;
    if (!hit && runStart >= 0) {
      const excerpt = w.slice(runStart, i - 1 + SHINGLE_WORDS).join(' ');
      best = Math.max(best, excerpt.length);
      runStart = -1;
    }
  }
  return best;
}

/** Codes compare without spaces and dashes, upper-cased ("12 34 56" = "123456"). */
export function normaliseCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

function noteMessage(
  m: { subject: string; body: string; from: string },
  internal: readonly string[],
  acc: SessionTaint,
): void {
  if (!isInternalSender(m.from, internal)) acc.readExternal = true;
  const text = `${m.subject}\n${m.body}`;
  const v = detectSecurityMail(m);
  for (const x of v.matches) {
    if (x.kind !== 'one_time_code') continue;
    const code = text.slice(x.start, x.end);
    if (/\d/.test(code)) acc.readCodes.push(normaliseCode(code.replace(/^G-/, '')));
  }
  acc.readShingles.push(...shingles(m.body));
}

/**
 * Extracts what must be remembered from one read's result, by the action that read it. Call it on the
 * normalised result BEFORE filtering: codes that were withheld or masked are still remembered, so a later
 * outbound cannot carry them. Whatever someone outside the organisation may have written taints the agent.
 */
export function noteRead(action: ActionName, result: unknown, internalDomains: readonly string[]): SessionTaint {
  const acc = emptyTaint();
  switch (action) {
    case 'gmail.get': {
      const r = ResultSchemas['gmail.get'].safeParse(result);
      if (r.success) noteMessage(r.data.message, internalDomains, acc);
      break;
    }
    case 'gmail.thread.get': {
      const r = ResultSchemas['gmail.thread.get'].safeParse(result);
      if (r.success) for (const m of r.data.thread.messages) noteMessage(m, internalDomains, acc);
      break;
    }
    case 'gmail.search': {
      const r = ResultSchemas['gmail.search'].safeParse(result);
      // gog takes a row's sender and subject from the thread's first message, so the row's sender is who
      // wrote the subject; a row without a sender counts as outside.
      for (const t of r.success ? r.data.threads : []) {
        noteMessage({ subject: t.subject, body: '', from: t.from }, internalDomains, acc);
      }
      break;
    }
    case 'calendar.events':
    case 'calendar.event': {
      const events = ResultSchemas['calendar.events'].safeParse(result);
      const event = ResultSchemas['calendar.event'].safeParse(result);
      const evs = events.success ? events.data.events : event.success ? [event.data.event] : [];
      // Invitations can come from anyone: their summary, description and location are free text.
      for (const e of evs) {
        const text = [e.summary, e.description ?? '', e.location ?? ''].filter((x) => x.trim() !== '').join('\n');
        if (text === '') continue;
        acc.readExternal = true;
        acc.readShingles.push(...shingles(text));
      }
      break;
    }
    case 'gmail.attachment':
      // A file is written by whoever sent it; mailwarden does not look inside to tell.
      acc.readExternal = true;
      break;
    default:
      // An action whose results carry outside-written text taints even before it has its own rule here.
      if (ACTIONS[action].outsideContent) acc.readExternal = true;
      break;
  }
  return {
    readExternal: acc.readExternal,
    readCodes: [...new Set(acc.readCodes)],
    readShingles: [...new Set(acc.readShingles)],
  };
}

/** Accumulates reads over a session (pure: returns a new value). */
export function mergeTaint(a: SessionTaint, b: SessionTaint): SessionTaint {
  return {
    readExternal: a.readExternal || b.readExternal,
    readCodes: [...new Set([...a.readCodes, ...b.readCodes])],
    readShingles: [...new Set([...a.readShingles, ...b.readShingles])],
  };
}
