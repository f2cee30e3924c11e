// DOM building for the console. SECURITY: every value is set with textContent or as an attribute, never as
// HTML, so nothing a mail or an agent wrote can become markup or script.

/** h('p', {class: 'x'}, 'text', child) — strings become text nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Number.POSITIVE_INFINITY)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function age(iso, now) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function countdown(iso, now) {
  if (!iso) return 'no expiry';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'expired';
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `expires in ${Math.floor(s / 3600)}:${mm}:${ss}` : `expires in ${mm}:${ss}`;
}

/** A span the page's clock keeps up to date. */
export const expiryEl = (iso) =>
  h('span', { class: 'countdown', 'data-expires': iso ?? '' }, countdown(iso, Date.now()));

const STATUS_TEXT = {
  pending_approval: 'pending approval',
  outcome_unknown: 'outcome unknown',
};
export const statusBadge = (status) => h('span', { class: `badge s-${status}` }, STATUS_TEXT[status] ?? status);

export function whyAsked(decision) {
  return h(
    'p',
    { class: 'why' },
    h('span', { class: 'label' }, 'Why approval is asked: '),
    decision.message,
    decision.rules.length > 0 ? h('span', { class: 'rules' }, ` (rule ${decision.rules.join(', ')})`) : '',
  );
}

export function proposalItem(p, now) {
  return h(
    'li',
    {},
    h(
      'article',
      { class: 'item', 'aria-labelledby': `t-${p.id}` },
      h(
        'h3',
        { id: `t-${p.id}` },
        h('a', { href: `#/p/${encodeURIComponent(p.id)}` }, p.action),
        ' ',
        h('span', { class: 'by' }, `by ${p.principal ?? 'unknown agent'}`),
      ),
      h(
        'p',
        { class: 'meta' },
        statusBadge(p.status),
        ' ',
        h('span', { 'data-since': p.createdAt }, `asked ${age(p.createdAt, now)}`),
        p.status === 'pending_approval' ? [' · ', expiryEl(p.expiresAt)] : '',
      ),
      whyAsked(p.decision),
      p.error ? h('p', { class: 'error' }, `${p.error.code}: ${p.error.message}`) : '',
    ),
  );
}

const KIND_TEXT = { internal: 'internal', allowlisted: 'allowlisted', outside: 'outside' };

export function recipientTable(recipients, account) {
  if (recipients.length === 0) return h('p', {}, 'This action names no recipients.');
  const outside = recipients.filter((r) => r.kind === 'outside');
  const hiddenOutside = outside.filter((r) => r.source === 'bcc');
  return h(
    'div',
    {},
    outside.length > 0
      ? h(
          'p',
          { class: 'alert', role: 'note' },
          h('strong', {}, `${outside.length} recipient${outside.length === 1 ? '' : 's'} outside your organisation`),
          hiddenOutside.length > 0
            ? ` — including ${hiddenOutside.length} hidden (bcc) recipient${hiddenOutside.length === 1 ? '' : 's'} the other recipients will not see`
            : '',
          '.',
        )
      : h('p', { class: 'ok' }, `Every recipient is inside ${account.split('@')[1] ?? 'your domain'} or allowlisted.`),
    h(
      'table',
      { class: 'recipients' },
      h('caption', { class: 'sr-only' }, `Recipients, marked against the account ${account}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Address'),
          h('th', { scope: 'col' }, 'Field'),
          h('th', { scope: 'col' }, 'Where'),
        ),
      ),
      h(
        'tbody',
        {},
        recipients.map((r) =>
          h(
            'tr',
            { class: `r-${r.kind}`, 'data-kind': r.kind, 'data-source': r.source },
            h('td', { class: 'addr' }, r.address),
            h('td', {}, r.source),
            h(
              'td',
              {},
              h('span', { class: `kind k-${r.kind}` }, r.kind === 'outside' ? '⚠ outside' : KIND_TEXT[r.kind]),
            ),
          ),
        ),
      ),
    ),
  );
}

const OPEN = /^<<<EXTERNAL_UNTRUSTED_CONTENT[^>]*>>>$/;
const CLOSE = /^<<<END_EXTERNAL_UNTRUSTED_CONTENT[^>]*>>>$/;

/** Splits a body into what the agent wrote and what came from mail (wrapped blocks and ">" quotes). */
export function bodySegments(text) {
  const segments = [];
  let inWrapped = false;
  const push = (kind, line) => {
    const last = segments[segments.length - 1];
    if (last && last.kind === kind) last.lines.push(line);
    else segments.push({ kind, lines: [line] });
  };
  for (const line of text.split('\n')) {
    if (!inWrapped && OPEN.test(line.trim())) {
      inWrapped = true;
      continue;
    }
    if (inWrapped && CLOSE.test(line.trim())) {
      inWrapped = false;
      continue;
    }
    push(inWrapped || /^[ \t]*>/.test(line) ? 'mail' : 'agent', line);
  }
  return segments;
}

export function bodyBlock(text, label) {
  const segments = bodySegments(text);
  return h(
    'div',
    { class: 'body', 'aria-label': label },
    segments.map((s) =>
      s.kind === 'mail'
        ? h(
            'div',
            { class: 'untrusted' },
            h('p', { class: 'untrusted-label' }, 'Untrusted: quoted from received mail'),
            h('pre', {}, s.lines.join('\n')),
          )
        : h('pre', {}, s.lines.join('\n')),
    ),
  );
}

export function humanSize(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return 'size unknown';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Line diff (longest common subsequence); falls back to "replaced" for very long texts. */
export function lineDiff(before, after) {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > 4_000_000) return [...a.map((l) => ['-', l]), ...b.map((l) => ['+', l])];
  const m = a.length;
  const n = b.length;
  const t = Array.from({ length: m + 1 }, () => new Uint32Array(n + 1));
  for (let i = m - 1; i >= 0; i--)
    for (let j = n - 1; j >= 0; j--) t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
  const out = [];
  let i = 0;
  let j = 0;
  while (i < m && j < n) {
    if (a[i] === b[j]) {
      out.push([' ', a[i]]);
      i++;
      j++;
    } else if (t[i + 1][j] >= t[i][j + 1]) out.push(['-', a[i++]]);
    else out.push(['+', b[j++]]);
  }
  while (i < m) out.push(['-', a[i++]]);
  while (j < n) out.push(['+', b[j++]]);
  return out;
}

export function diffBlock(before, after) {
  return h(
    'pre',
    { class: 'diff' },
    lineDiff(before, after).map(([op, line]) =>
      h('span', { class: op === '+' ? 'add' : op === '-' ? 'del' : 'same' }, `${op} ${line}\n`),
    ),
  );
}
