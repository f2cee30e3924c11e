// The console page: session bootstrap, routing between views, and the pending, history, posture and key views.
import { renderCard } from './card.js';
import { createPasskey, passkeysAvailable, usableHere } from './passkey.js';
import { createSigner, cryptoAvailable, forgetSigner, loadSigner, signLockdown } from './signer.js';
import { age, countdown, h, proposalItem } from './views.js';

const main = document.getElementById('main');
const statusEl = document.getElementById('status');
const banner = document.getElementById('lockdown-banner');
let session = null;
let signer = null;
let enrolled = null;
let timer = null;
// Posture checks that need action come first.
const SEVERITY = ['fail', 'warn', 'unknown', 'pass'];

function say(text, isError = false) {
  statusEl.textContent = text;
  statusEl.className = isError ? 'status error' : 'status';
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    headers[session.csrfHeader] = session.csrfToken;
  }
  const r = await fetch(path, {
    method,
    headers,
    body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const json = await r.json().catch(() => null);
  if (r.status === 401) {
    location.reload();
    throw new Error('the session ended; log in again');
  }
  if (!r.ok) throw new Error(json?.error?.message ?? `HTTP ${r.status}`);
  return json;
}

function show(title, ...content) {
  main.replaceChildren(h('h1', { id: 'view-title', tabindex: '-1' }, title), ...content);
}

function showLockdowns(lockdowns) {
  if (!lockdowns || lockdowns.length === 0) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  banner.replaceChildren(
    h('strong', {}, 'Lockdown on: '),
    lockdowns
      .map((l) => `${l.scope} since ${new Date(l.since).toLocaleString()} (${l.reason}, by ${l.actor})`)
      .join('; '),
  );
}

let listKey = '';
/** True when a list shows exactly what it showed before; then an automatic refresh leaves the page (and focus) alone. */
function sameList(name, data) {
  const key = name + JSON.stringify([data.proposals.map((p) => [p.id, p.status]), data.lockdowns]);
  const same = key === listKey;
  listKey = key;
  return same;
}

async function pendingView(auto) {
  const data = await api('/api/proposals?view=pending');
  if (sameList('pending', data) && auto) return;
  showLockdowns(data.lockdowns);
  const now = Date.now();
  show(
    'Pending approvals',
    data.proposals.length === 0
      ? h('p', { class: 'empty' }, 'Nothing is waiting for you.')
      : h(
          'ul',
          { class: 'items', id: 'pending-list' },
          data.proposals.map((p) => proposalItem(p, now)),
        ),
  );
}

async function historyView(auto) {
  const data = await api('/api/proposals?view=history');
  if (sameList('history', data) && auto) return;
  showLockdowns(data.lockdowns);
  const now = Date.now();
  show(
    'History',
    h('p', { class: 'hint' }, 'Proposals that needed approval and are no longer pending, newest first.'),
    data.proposals.length === 0
      ? h('p', { class: 'empty' }, 'No decided proposals yet.')
      : h(
          'ul',
          { class: 'items', id: 'history-list' },
          data.proposals.map((p) => proposalItem(p, now)),
        ),
  );
}

async function cardView(id) {
  const [data, keys] = await Promise.all([api(`/api/proposals/${encodeURIComponent(id)}`), api('/api/passkeys')]);
  const passkeys = passkeysAvailable() ? usableHere(keys.passkeys) : [];
  main.replaceChildren(
    renderCard(data, {
      api,
      say,
      signer: () => (enrolled ? signer : null),
      passkeys: () => passkeys,
      refresh: () => route(false),
    }),
  );
}

let registered = null;
async function passkeyView() {
  const { passkeys } = await api('/api/passkeys');
  const here = usableHere(passkeys);
  if (!passkeysAvailable()) {
    show(
      'Passkey',
      h(
        'p',
        { class: 'error' },
        `This page cannot use passkeys: open the console as http://localhost:PORT or through an HTTPS tunnel (see docs/console.md), not as ${location.origin}.`,
      ),
    );
    return;
  }
  const id = h('input', {
    id: 'passkey-approver',
    name: 'approver',
    type: 'text',
    required: true,
    value: 'owner-phone',
    pattern: '[a-z0-9][a-z0-9_.\\-]{0,63}',
    autocomplete: 'off',
  });
  const create = async () => {
    if (!id.checkValidity()) return say('The approver id takes lower-case letters, digits and _.- only.', true);
    try {
      const { options } = await api('/api/passkeys/registration-options', {
        method: 'POST',
        body: { approver: id.value },
      });
      const response = await createPasskey(options);
      registered = await api('/api/passkeys/registration', { method: 'POST', body: { response } });
      say('Passkey created. Enrol it on the command line.');
    } catch (err) {
      say(`No passkey created: ${err.message}`, true);
    }
    await route(false);
  };
  const enrolledNow = registered ? here.some((p) => p.credentialId === registered.enrolment.credentialId) : false;
  show(
    'Passkey',
    h(
      'p',
      {},
      'A passkey lets you approve from this device with a fingerprint, face or PIN. Its private key never leaves the authenticator.',
    ),
    here.length > 0
      ? h(
          'p',
          { id: 'passkeys-here', class: 'ok' },
          `Enrolled for ${location.origin}: ${here.map((p) => p.approver).join(', ')}.`,
        )
      : h('p', { class: 'hint' }, `No passkey is enrolled for ${location.origin} yet.`),
    ...(registered
      ? [
          h(
            'p',
            { id: 'passkey-enrolment', class: enrolledNow ? 'ok' : 'alert' },
            enrolledNow
              ? `Enrolled: the sidecar accepts the passkey of “${registered.approver}”.`
              : 'Not enrolled yet: run the command below on the machine that runs the sidecar.',
          ),
          h('pre', { id: 'passkey-command', class: 'copy' }, registered.command),
          h(
            'div',
            { class: 'buttons' },
            h('button', { type: 'button', id: 'check-passkey', onclick: () => route(false) }, 'Check enrolment'),
          ),
        ]
      : [
          h('div', { class: 'field' }, h('label', { for: 'passkey-approver' }, 'Approver id'), id),
          h(
            'div',
            { class: 'buttons' },
            h('button', { type: 'button', id: 'create-passkey', onclick: create }, 'Create passkey'),
          ),
        ]),
  );
}

async function postureView() {
  const [posture, list] = await Promise.all([api('/api/posture'), api('/api/proposals?view=pending')]);
  showLockdowns(list.lockdowns);
  const reason = h('input', {
    id: 'ld-reason',
    name: 'reason',
    type: 'text',
    required: true,
    maxlength: '1024',
    autocomplete: 'off',
  });
  const principal = h('input', {
    id: 'ld-principal',
    name: 'principal',
    type: 'text',
    maxlength: '64',
    autocomplete: 'off',
    pattern: '[a-z0-9][a-z0-9_.\\-]{0,63}',
  });
  const lock = async (on) => {
    if (!enrolled) return say('Create and enrol a signing key first.', true);
    const why = reason.value.trim() || (on ? 'lockdown by operator' : 'lifted by operator');
    try {
      const jws = await signLockdown(signer, on, why, principal.value.trim());
      const out = await api('/api/lockdown', { method: 'POST', body: { jws } });
      say(`Lockdown ${out.lockdown ? 'on' : 'off'} (${out.scope}).`);
    } catch (err) {
      say(`Lockdown not changed: ${err.message}`, true);
    }
    await route(false);
  };
  show(
    'Posture & lockdown',
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'lockdown-title' },
      h('h2', { id: 'lockdown-title' }, 'Lockdown'),
      h(
        'p',
        {},
        list.lockdowns.length === 0
          ? 'No lockdown is in force.'
          : `${list.lockdowns.length} lockdown(s) in force (see the banner).`,
      ),
      h(
        'p',
        { class: 'hint' },
        'A lockdown stops every action that is not a read. It is a signed statement, like a decision.',
      ),
      h('div', { class: 'field' }, h('label', { for: 'ld-reason' }, 'Reason'), reason),
      h('div', { class: 'field' }, h('label', { for: 'ld-principal' }, 'Only this agent (optional)'), principal),
      h(
        'div',
        { class: 'buttons' },
        h(
          'button',
          { type: 'button', class: 'reject', id: 'lockdown-on', onclick: () => lock(true) },
          'Turn lockdown on',
        ),
        h('button', { type: 'button', id: 'lockdown-off', onclick: () => lock(false) }, 'Lift lockdown'),
      ),
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'posture-title' },
      h('h2', { id: 'posture-title' }, `Posture: ${posture.mode.replaceAll('_', ' ')}`),
      h(
        'p',
        { class: 'hint' },
        SEVERITY.map((st) => `${posture.checks.filter((c) => c.status === st).length} ${st}`).join(' · '),
      ),
      h(
        'ul',
        { class: 'checks' },
        [...posture.checks]
          .sort((a, b) => SEVERITY.indexOf(a.status) - SEVERITY.indexOf(b.status))
          .map((c) =>
            h(
              'li',
              { class: `check c-${c.status}` },
              h('span', { class: `badge p-${c.status}` }, c.status),
              ' ',
              h('strong', {}, c.id),
              h('p', {}, c.summary),
              c.fix ? h('p', { class: 'fix' }, h('span', { class: 'label' }, 'Fix: '), c.fix) : '',
            ),
          ),
      ),
    ),
  );
}

async function checkEnrolment() {
  if (!signer) {
    enrolled = false;
    return;
  }
  const r = await api(
    `/api/enrolment?id=${encodeURIComponent(signer.approver)}&x=${encodeURIComponent(signer.publicJwk.x)}`,
  );
  enrolled = r.matches;
}

async function keyView() {
  if (!cryptoAvailable()) {
    show(
      'Signing key',
      h('p', { class: 'error' }, 'This page has no WebCrypto or IndexedDB; open it as http://127.0.0.1 or over HTTPS.'),
    );
    return;
  }
  if (!signer) {
    const id = h('input', {
      id: 'approver-id',
      name: 'approver',
      type: 'text',
      required: true,
      value: 'browser',
      pattern: '[a-z0-9][a-z0-9_.\\-]{0,63}',
      autocomplete: 'off',
    });
    const create = async () => {
      if (!id.checkValidity()) return say('The approver id takes lower-case letters, digits and _.- only.', true);
      if (session.approvers.includes(id.value))
        return say(`“${id.value}” is already an approver; choose a new id for this browser.`, true);
      try {
        signer = await createSigner(id.value);
        say('Signing key created. Enrol it on the command line.');
      } catch (err) {
        say(err.message, true);
      }
      await route(false);
    };
    show(
      'Signing key',
      h(
        'p',
        {},
        'Decisions are signed in this browser with an Ed25519 key that cannot be exported: it never leaves this browser, not even to the console server.',
      ),
      h('div', { class: 'field' }, h('label', { for: 'approver-id' }, 'Approver id for this browser'), id),
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'button', id: 'create-key', onclick: create }, 'Create signing key'),
      ),
    );
    return;
  }
  await checkEnrolment();
  const jwk = JSON.stringify(signer.publicJwk);
  const command = `mailwarden approver add --id ${signer.approver} --jwk '${jwk}' --config ${session.configFile}`;
  const forget = async () => {
    await forgetSigner();
    signer = null;
    enrolled = false;
    say('The signing key was deleted from this browser. Remove its approver entry from the config too.');
    await route(false);
  };
  show(
    'Signing key',
    h('p', {}, `Approver “${signer.approver}”, created ${new Date(signer.createdAt).toLocaleString()}.`),
    h(
      'p',
      { id: 'enrolment', class: enrolled ? 'ok' : 'alert' },
      enrolled
        ? 'Enrolled: the sidecar accepts this key.'
        : 'Not enrolled yet: run the command below on the machine that runs the sidecar.',
    ),
    h('h2', {}, 'Public key (JWK)'),
    h('pre', { id: 'public-jwk', class: 'copy' }, jwk),
    h('h2', {}, 'Enrol it'),
    h('p', {}, 'As the operator, confirm on the command line:'),
    h('pre', { id: 'enrol-command', class: 'copy' }, command),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'button', id: 'check-enrolment', onclick: () => route(false) }, 'Check enrolment'),
      h('button', { type: 'button', class: 'quiet', id: 'forget-key', onclick: forget }, 'Delete this key'),
    ),
  );
}

async function route(focus = true, auto = false) {
  clearTimeout(timer);
  const hash = location.hash || '#/pending';
  const m = /^#\/p\/(.+)$/.exec(hash);
  const name = m ? 'card' : hash.slice(2);
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    if (signer && !enrolled) await checkEnrolment();
    if (m) await cardView(decodeURIComponent(m[1]));
    else if (name === 'history') await historyView(auto);
    else if (name === 'posture') await postureView();
    else if (name === 'key') await keyView();
    else if (name === 'passkey') await passkeyView();
    else await pendingView(auto);
  } catch (err) {
    show('Something went wrong', h('p', { class: 'error' }, err.message));
  }
  if (focus) (document.getElementById('view-title') ?? document.getElementById('card-title'))?.focus();
  // Lists refresh themselves; a card does not, so it never changes under the reader's eyes.
  if (!m && name !== 'key' && name !== 'posture' && name !== 'passkey')
    timer = setTimeout(() => route(false, true), 5000);
  if (name === 'key' && signer && !enrolled) timer = setTimeout(() => route(false), 3000);
}

setInterval(() => {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-expires]')) el.textContent = countdown(el.dataset.expires, now);
  for (const el of document.querySelectorAll('[data-since]')) el.textContent = `asked ${age(el.dataset.since, now)}`;
}, 1000);

document.getElementById('logout').addEventListener('click', async () => {
  await api('/api/logout', { method: 'POST' }).catch(() => {});
  location.reload();
});

async function start() {
  session = await api('/api/session');
  signer = cryptoAvailable() ? await loadSigner().catch(() => null) : null;
  window.addEventListener('hashchange', () => {
    say('');
    route(true);
  });
  await route(false);
  document.body.dataset.ready = 'true';
}

start().catch((err) => show('The console could not start', h('p', { class: 'error' }, err.message)));
