// The approval card: everything a person needs to decide, and the approve/reject buttons that sign in the browser.
import { passkeyDecision } from './passkey.js';
import { signDecision } from './signer.js';
import { bodyBlock, diffBlock, expiryEl, h, humanSize, recipientTable, statusBadge, whyAsked } from './views.js';

const SHOWN = new Set([
  'to',
  'cc',
  'bcc',
  'attendees',
  'subject',
  'body',
  'description',
  'threadId',
  'replyToMessageId',
  'attachments',
]);

const section = (id, title, ...content) =>
  h('section', { class: 'panel', 'aria-labelledby': id }, h('h3', { id }, title), ...content);

function attachmentsOf(card) {
  const list = card.attachments ?? card.params?.attachments;
  return Array.isArray(list) ? list.filter((a) => a && typeof a === 'object') : [];
}

function attachmentsSection(card) {
  const list = attachmentsOf(card);
  return section(
    'c-att',
    'Attachments',
    list.length === 0
      ? h('p', {}, 'No attachments.')
      : h(
          'ul',
          { class: 'plain' },
          list.map((a) =>
            h(
              'li',
              {},
              h('span', { class: 'addr' }, String(a.filename ?? a.name ?? 'unnamed')),
              ` — ${String(a.mimeType ?? a.type ?? 'type unknown')}, ${humanSize(a.size ?? a.sizeBytes)}`,
            ),
          ),
        ),
  );
}

function threadSection(card) {
  const p = card.params ?? {};
  const thread = card.thread && typeof card.thread === 'object' ? card.thread : null;
  const messages = Array.isArray(thread?.messages) ? thread.messages : [];
  if (!p.threadId && !p.replyToMessageId && !thread) return null;
  return section(
    'c-thread',
    'Thread',
    h(
      'dl',
      { class: 'facts' },
      p.threadId ? [h('dt', {}, 'Thread id'), h('dd', {}, h('code', {}, p.threadId))] : '',
      p.replyToMessageId ? [h('dt', {}, 'In reply to'), h('dd', {}, h('code', {}, p.replyToMessageId))] : '',
      thread?.subject ? [h('dt', {}, 'Thread subject'), h('dd', {}, String(thread.subject))] : '',
    ),
    messages.length > 0
      ? h(
          'div',
          { class: 'untrusted' },
          h('p', { class: 'untrusted-label' }, 'Untrusted: earlier messages of the thread, as received'),
          h(
            'ol',
            { class: 'plain' },
            messages.map((m) =>
              h(
                'li',
                {},
                h('p', { class: 'meta' }, `${m.from ?? ''} ${m.date ?? ''}`),
                h('pre', {}, String(m.snippet ?? m.body ?? '')),
              ),
            ),
          ),
        )
      : '',
  );
}

/** For draft updates: what changes against the draft as it is now, when the card carries the current draft. */
function draftDiffSection(card) {
  if (card.action !== 'gmail.drafts.update') return null;
  const current = card.currentDraft && typeof card.currentDraft === 'object' ? card.currentDraft : null;
  if (!current)
    return section(
      'c-diff',
      'Changes to the draft',
      h('p', {}, 'The sidecar did not include the current draft; compare by hand.'),
    );
  const p = card.params ?? {};
  const rows = [];
  for (const key of ['to', 'cc', 'bcc', 'subject']) {
    if (p[key] === undefined) continue;
    const was = Array.isArray(current[key]) ? current[key].join(', ') : String(current[key] ?? '');
    const now = Array.isArray(p[key]) ? p[key].join(', ') : String(p[key]);
    if (was !== now)
      rows.push(h('li', {}, `${key}: `, h('del', {}, was || '(empty)'), ' → ', h('ins', {}, now || '(empty)')));
  }
  return section(
    'c-diff',
    'Changes to the draft',
    rows.length > 0 ? h('ul', { class: 'plain' }, rows) : h('p', {}, 'No header changes.'),
    typeof p.body === 'string' ? diffBlock(String(current.body ?? ''), p.body) : h('p', {}, 'The body stays as it is.'),
  );
}

/** For a draft being sent: the draft as gog holds it, which is what the approval binds. */
function draftSection(card) {
  if (card.action !== 'gmail.drafts.send') return null;
  const d = card.draft && typeof card.draft === 'object' ? card.draft : null;
  if (!d)
    return section(
      'c-draft',
      'The draft',
      h('p', { class: 'error' }, 'The sidecar did not include the draft; do not approve.'),
    );
  const list = (v) => (Array.isArray(v) && v.length > 0 ? v.join(', ') : '(none)');
  return section(
    'c-draft',
    'The draft that will be sent',
    h('dl', { class: 'facts' }, [
      [h('dt', {}, 'to'), h('dd', {}, list(d.to))],
      [h('dt', {}, 'cc'), h('dd', {}, list(d.cc))],
      [h('dt', {}, 'bcc'), h('dd', {}, list(d.bcc))],
      [h('dt', {}, 'subject'), h('dd', {}, String(d.subject ?? ''))],
    ]),
    h('pre', {}, String(d.body ?? '')),
    h('p', { class: 'meta' }, `Sending refuses a draft that no longer matches ${String(d.digest ?? '')}.`),
  );
}

function otherParams(card) {
  const p = card.params ?? {};
  const keys = Object.keys(p).filter((k) => !SHOWN.has(k));
  if (keys.length === 0) return null;
  return section(
    'c-params',
    'Other parameters',
    h(
      'dl',
      { class: 'facts' },
      keys.map((k) => [h('dt', {}, k), h('dd', {}, h('code', {}, JSON.stringify(p[k])))]),
    ),
  );
}

export function renderCard(data, ctx) {
  const { card, recipients, account } = data;
  const p = card.params ?? {};
  const pending = card.status === 'pending_approval';
  const intact = card.integrity === 'ok';
  const approvals = Array.isArray(card.approvals) ? card.approvals : [];
  const body = typeof p.body === 'string' ? p.body : typeof p.description === 'string' ? p.description : null;

  /** `passkey` decides with that passkey; without it, the browser's Ed25519 signing key signs. */
  const decide = async (decision, button, passkey) => {
    const signer = ctx.signer();
    if (!signer && !passkey) return;
    for (const b of document.querySelectorAll('.decide button')) b.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const body = passkey
        ? { webauthn: await passkeyDecision(passkey, card, decision) }
        : { jws: await signDecision(signer, card, decision) };
      const out = await ctx.api(`/api/proposals/${encodeURIComponent(card.id)}/decisions`, {
        method: 'POST',
        body,
      });
      ctx.say(
        `${decision === 'approve' ? 'Approved' : 'Rejected'}: ${out.outcome}; the proposal is now ${out.proposal?.status ?? 'unknown'}.`,
      );
    } catch (err) {
      ctx.say(`Not decided: ${err.message}`, true);
    }
    await ctx.refresh();
  };

  const passkeys = ctx.passkeys ? ctx.passkeys() : [];
  let decideArea;
  if (!pending) decideArea = h('p', {}, 'This proposal is decided; nothing to sign.');
  else if (!intact)
    decideArea = h('p', { class: 'error' }, `Integrity check failed (${card.integrity}); do not approve it.`);
  else if (!ctx.signer() && passkeys.length === 0)
    decideArea = h(
      'p',
      {},
      'To decide, ',
      h('a', { href: '#/passkey' }, 'enrol a passkey'),
      ' or ',
      h('a', { href: '#/key' }, 'create and enrol a signing key'),
      ' first.',
    );
  else {
    decideArea = h(
      'div',
      { class: 'decide' },
      passkeys.map((pk, i) => {
        const suffix = i === 0 ? '' : `-${i}`;
        return [
          h(
            'p',
            {},
            `Decide as approver “${pk.approver}” with your passkey (fingerprint, face or PIN). It signs this proposal's hash and is valid for 5 minutes.`,
          ),
          h(
            'div',
            { class: 'buttons' },
            h(
              'button',
              {
                type: 'button',
                class: 'approve',
                id: `approve-passkey${suffix}`,
                onclick: (e) => decide('approve', e.currentTarget, pk),
              },
              'Approve with passkey',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'reject',
                id: `reject-passkey${suffix}`,
                onclick: (e) => decide('reject', e.currentTarget, pk),
              },
              'Reject with passkey',
            ),
          ),
        ];
      }),
      ctx.signer()
        ? [
            h(
              'p',
              {},
              `You sign as approver “${ctx.signer().approver}”. The statement binds this proposal's hash and is valid for 5 minutes.`,
            ),
            h(
              'div',
              { class: 'buttons' },
              h(
                'button',
                { type: 'button', class: 'approve', id: 'approve', onclick: (e) => decide('approve', e.currentTarget) },
                'Approve',
              ),
              h(
                'button',
                { type: 'button', class: 'reject', id: 'reject', onclick: (e) => decide('reject', e.currentTarget) },
                'Reject',
              ),
            ),
          ]
        : '',
    );
  }

  return h(
    'article',
    { class: 'card', 'aria-labelledby': 'card-title' },
    h('p', {}, h('a', { href: pending ? '#/pending' : '#/history' }, pending ? '← Pending' : '← History')),
    h(
      'h2',
      { id: 'card-title', tabindex: '-1' },
      `${card.action} `,
      h('span', { class: 'by' }, `by ${card.principal ?? 'unknown agent'}`),
    ),
    h(
      'p',
      { class: 'meta' },
      statusBadge(card.status),
      ' ',
      `asked ${new Date(card.createdAt).toLocaleString()}`,
      pending ? [' · ', expiryEl(card.expiresAt)] : '',
    ),
    whyAsked(card.decision),
    section('c-rcpt', 'Recipients', recipientTable(recipients, account)),
    p.subject !== undefined || p.summary !== undefined
      ? section(
          'c-subj',
          p.subject !== undefined ? 'Subject' : 'Summary',
          h('p', { class: 'subject' }, String(p.subject ?? p.summary)),
        )
      : '',
    body !== null
      ? section(
          'c-body',
          'Body',
          h(
            'p',
            { class: 'hint' },
            'Shown exactly as plain text. The agent wrote it; parts quoted from received mail are marked untrusted.',
          ),
          bodyBlock(body, 'Message body'),
        )
      : '',
    draftDiffSection(card),
    draftSection(card),
    attachmentsSection(card),
    threadSection(card),
    card.justification
      ? section(
          'c-just',
          "Agent's justification",
          h('p', { class: 'hint' }, 'In the agent’s words; not verified.'),
          h('pre', { class: 'quote' }, card.justification),
        )
      : '',
    otherParams(card),
    section(
      'c-proof',
      'What you sign',
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Proposal id'),
        h('dd', {}, h('code', {}, card.id)),
        h('dt', {}, 'Proposal hash'),
        h('dd', {}, h('code', { class: 'hash', id: 'proposal-hash' }, card.hash)),
        h('dt', {}, 'Integrity'),
        h('dd', {}, intact ? 'ok (the stored proposal matches its hash)' : card.integrity),
        h('dt', {}, 'Approvals'),
        h(
          'dd',
          {},
          `${approvals.length === 0 ? 'none yet' : approvals.map((a) => `${a.approver}: ${a.decision}`).join(', ')} (quorum ${card.quorum ?? '?'})`,
        ),
      ),
    ),
    section('c-decide', 'Decision', decideArea),
  );
}
