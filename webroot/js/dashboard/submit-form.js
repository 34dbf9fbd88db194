// The submit form. It sends what was typed, as typed, and shows the server's own words
// when a field is wrong (the server is the one judge of what a job may be).

import { $, setText } from './dom.js';
import { api } from './api.js';
import { store } from './store.js';
import { shortId } from './format.js';

const NUMERIC = ['rowsA', 'colsA', 'colsB', 'seed', 'chunkRows'];
const REQUIRED = new Set(['rowsA', 'colsA', 'colsB']);
const PRESETS = {
  small: { rowsA: 300, colsA: 200, colsB: 250 },
  medium: { rowsA: 1000, colsA: 800, colsB: 900 },
  large: { rowsA: 4096, colsA: 2048, colsB: 2048 },
};

const field = (name) => $(`f-${name}`);

export function initSubmitForm() {
  const form = $('submit-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  for (const name of [...NUMERIC, 'verify']) {
    field(name).addEventListener('input', () => markInvalid(null));
  }
  for (const button of document.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => {
      const p = PRESETS[button.dataset.preset];
      for (const [k, v] of Object.entries(p)) field(k).value = String(v);
      field('chunkRows').value = '';
      markInvalid(null);
      hideMessages();
    });
  }
}

/**
 * The request body, built by hand so that numbers go to the server exactly as typed: a whole
 * number is sent as a JSON number (no rounding through a JS double), anything else as a
 * string for the server to refuse with its reason; empty optional fields are left out.
 */
export function bodyFrom(values) {
  const parts = [];
  for (const name of NUMERIC) {
    const raw = (values[name] ?? '').trim().replace(/[\s_,]/g, '');
    if (raw === '') {
      if (REQUIRED.has(name)) parts.push(`${JSON.stringify(name)}:null`);
      continue;
    }
    parts.push(`${JSON.stringify(name)}:${/^-?\d{1,30}$/.test(raw) ? raw.replace(/^(-?)0+(?=\d)/, '$1') : JSON.stringify(raw)}`);
  }
  if (values.verify && values.verify !== 'auto') parts.push(`"verify":${JSON.stringify(values.verify)}`);
  return `{${parts.join(',')}}`;
}

async function submit() {
  const button = $('submit-button');
  const values = {};
  for (const name of [...NUMERIC, 'verify']) values[name] = field(name).value;
  hideMessages();
  markInvalid(null);
  button.disabled = true;
  setText(button, 'Submitting…');
  try {
    const created = await api.submit(bodyFrom(values));
    const ok = $('submit-ok');
    setText(ok, `Job ${shortId(created.id)} accepted (seed ${created.seed}). It starts as soon as a worker is free.`);
    ok.hidden = false;
    const view = await api.job(created.id).catch(() => null);
    if (view) store.putJob(view);
    store.select(created.id);
  } catch (err) {
    const box = $('submit-error');
    setText(box, err.message);
    box.hidden = false;
    markInvalid(fieldNamed(err.message));
  } finally {
    button.disabled = false;
    setText(button, 'Multiply');
  }
}

/** The field a server message is about: messages start with the field's name ("rowsA must be ..."). */
function fieldNamed(message) {
  const m = /^(rowsA|colsA|colsB|seed|verify|chunkRows)\b/.exec(message || '')
    || /\b(chunkRows|seed|verify)\b/.exec(message || '');
  if (m) return m[1];
  if (/^[AB] would hold/.test(message || '')) return message[0] === 'A' ? 'rowsA' : 'colsB';
  if (/full verification/.test(message || '')) return 'verify';
  return null;
}

function markInvalid(name) {
  for (const n of [...NUMERIC, 'verify']) {
    const input = field(n);
    if (n === name) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `submit-error ${input.dataset.hint || ''}`.trim());
    } else {
      input.removeAttribute('aria-invalid');
      if (input.dataset.hint) input.setAttribute('aria-describedby', input.dataset.hint);
      else input.removeAttribute('aria-describedby');
    }
  }
  if (name) field(name).focus();
}

function hideMessages() {
  $('submit-error').hidden = true;
  $('submit-ok').hidden = true;
}
