// Tokens (admins only): who may use the grid. GET /api/tokens lists names, roles, when each
// was created and last used, and its quotas (never a token: the server keeps only hashes);
// POST /api/tokens creates one and is the only time its token is shown; DELETE revokes one.

import { $, el, setText, clear } from './dom.js';
import { api } from './api.js';
import { clockTime, count, megabytes, isNum } from './format.js';
import { toast } from './toast.js';

let me = null;          // the signed-in admin's token name
let onRevokedSelf = null;

export function initTokens(session, { revokedSelf } = {}) {
  me = session.name;
  onRevokedSelf = revokedSelf;
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    create();
  });
  $('t-name').addEventListener('input', () => {
    $('t-name').removeAttribute('aria-invalid');
    $('token-error').hidden = true;
  });
  $('token-copy').addEventListener('click', copy);
  $('token-done').addEventListener('click', hideNewToken);
  $('tokens-reload').addEventListener('click', () => load());
  load();
}

export async function load() {
  const box = $('tokens-error');
  try {
    const body = await api.tokens();
    box.hidden = true;
    draw(Array.isArray(body && body.tokens) ? body.tokens : []);
  } catch (err) {
    setText(box, `The tokens could not be loaded: ${err.message}`);
    box.hidden = false;
  }
}

function when(value) {
  if (value === null || value === undefined || value === '') return 'never';
  return clockTime(isNum(value) ? value : String(value));
}

function quotaText(t) {
  if (t.role === 'admin') return 'none (admin)';
  const q = t.quotas;
  if (!q || typeof q !== 'object' || Object.keys(q).length === 0) return 'grid defaults';
  const parts = [];
  for (const [key, value] of Object.entries(q)) {
    if (value === null || value === undefined) continue;
    if (key === 'maxActiveJobs') parts.push(`${count(value)} active job${value === 1 ? '' : 's'}`);
    else if (key === 'maxElementsPerJob') parts.push(`${isNum(value) ? compact(value) : value} values/matrix`);
    else if (key === 'maxStoredBytes') parts.push(`${isNum(value) ? megabytes(value) : value} stored`);
    else parts.push(`${key} ${typeof value === 'object' ? JSON.stringify(value) : value}`);
  }
  return parts.length ? parts.join(' · ') : 'grid defaults';
}

function compact(n) {
  return new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

function cell(label, ...children) {
  return el('td', { dataset: { label } }, ...children);
}

function draw(tokens) {
  const rows = $('tokens-rows');
  clear(rows);
  const sorted = [...tokens].sort((a, b) => (a.role === b.role ? 0 : a.role === 'admin' ? -1 : 1)
    || String(a.name).localeCompare(String(b.name)));
  for (const t of sorted) rows.append(row(t));
  $('tokens-table').hidden = sorted.length === 0;
  $('tokens-empty').hidden = sorted.length > 0;
  const requestors = sorted.filter((t) => t.role === 'requestor').length;
  setText($('tokens-count'), `${count(sorted.length)} token${sorted.length === 1 ? '' : 's'} · ${count(requestors)} requestor${requestors === 1 ? '' : 's'}`);
}

function row(t) {
  const name = String(t.name);
  const self = name === me;
  const who = el('span', { class: 'token-name' }, el('span', { class: 'token-name-text', text: name }),
    self ? el('span', { class: 'token-you', text: 'you' }) : null);
  const role = el('span', { class: 'pill pill-role', dataset: { role: t.role }, text: t.role });
  const created = el('time', { text: when(t.createdAt), attrs: { datetime: t.createdAt } });
  const used = el('time', { text: when(t.lastUsedAt), attrs: { datetime: t.lastUsedAt } });
  const quotas = el('span', { class: 'small', text: quotaText(t) });
  const actions = el('td', { class: 'actions', dataset: { label: 'Actions' } });
  const tr = el('tr', { dataset: { tokenName: name, role: t.role } },
    cell('Name', who), cell('Role', role), cell('Created', created), cell('Last used', used), cell('Quotas', quotas), actions);
  const revoke = el('button', { type: 'button', class: 'button button-small button-danger revoke-button', text: 'Revoke',
    attrs: { 'aria-label': `Revoke the token ${name}` } });
  actions.append(revoke);
  revoke.addEventListener('click', () => confirmRevoke(tr, actions, name, self, revoke));
  return tr;
}

/** Revoking asks once more, in place: the token stops working at once, for good. */
function confirmRevoke(tr, actions, name, self, revoke) {
  revoke.hidden = true;
  tr.dataset.confirming = 'true';
  const question = el('span', { class: 'revoke-question small', attrs: { role: 'alert' },
    text: self ? `Revoke ${name}? That is your own token: you will be signed out.` : `Revoke ${name}? It stops working at once.` });
  const yes = el('button', { type: 'button', class: 'button button-small button-danger-solid revoke-confirm', text: 'Yes, revoke' });
  const keep = el('button', { type: 'button', class: 'button button-small revoke-keep', text: 'Keep' });
  const box = el('span', { class: 'revoke-box' }, question, el('span', { class: 'revoke-buttons' }, yes, keep));
  actions.append(box);
  const back = () => {
    box.remove();
    revoke.hidden = false;
    delete tr.dataset.confirming;
    revoke.focus();
  };
  keep.addEventListener('click', back);
  box.addEventListener('keydown', (e) => { if (e.key === 'Escape') back(); });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    keep.disabled = true;
    try {
      await api.revokeToken(name);
      toast(`Token ${name} revoked: it no longer works.`, 'ok');
      $('token-error').hidden = true;
      if (self && onRevokedSelf) {
        onRevokedSelf();
        return;
      }
      await load();
    } catch (err) {
      toast(`Could not revoke ${name}: ${err.message}`, 'error');
      back();
    }
  });
  keep.focus();
}

async function create() {
  const nameInput = $('t-name');
  const name = nameInput.value.trim();
  const role = $('t-role').value;
  const error = $('token-error');
  error.hidden = true;
  hideNewToken();
  if (!name) {
    setText(error, 'Give the token a name (who will use it).');
    error.hidden = false;
    nameInput.setAttribute('aria-invalid', 'true');
    nameInput.focus();
    return;
  }
  const button = $('token-create');
  button.disabled = true;
  try {
    const created = await api.createToken(name, role);
    if (!created || typeof created.token !== 'string') throw new Error('the server answered without a token');
    showNewToken(created);
    nameInput.value = '';
    await load();
  } catch (err) {
    setText(error, err.message);
    error.hidden = false;
    nameInput.setAttribute('aria-invalid', 'true');
    nameInput.focus();
  } finally {
    button.disabled = false;
  }
}

function showNewToken(created) {
  setText($('token-new-name'), created.name);
  setText($('token-new-role'), created.role);
  const value = $('token-new-value');
  value.value = created.token;
  setText($('token-copy-status'), '');
  $('token-new').hidden = false;
  value.focus();
  value.select();
}

/** The token leaves the page as soon as the person is done with it. */
function hideNewToken() {
  $('token-new-value').value = '';
  setText($('token-copy-status'), '');
  $('token-new').hidden = true;
}

async function copy() {
  const value = $('token-new-value');
  const status = $('token-copy-status');
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(value.value);
      copied = true;
    }
  } catch (e) {
    copied = false;
  }
  if (!copied) {
    // Plain http on a LAN address has no clipboard API: select it for the person to copy.
    value.focus();
    value.select();
    try { copied = document.execCommand('copy'); } catch (e) { copied = false; }
  }
  setText(status, copied ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C (⌘C) to copy it.');
  status.dataset.copied = String(copied);
}
