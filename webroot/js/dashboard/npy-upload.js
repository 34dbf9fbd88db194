// The second way to submit: the requestor's own A and B as .npy files. Each file's header is
// read in the browser the moment it is chosen or dropped (shape, dtype, what the server would
// refuse, and whether A·B can be formed), so nothing is sent that cannot be multiplied. Then
// each file goes up with its own progress bar (POST /api/matrices, XMLHttpRequest), and the job
// is submitted by matrix id (POST /api/jobs {"a","b"}) and selected like a generated one.

import { $, setText } from './dom.js';
import { api, uploadMatrix } from './api.js';
import { store } from './store.js';
import { shortId } from './format.js';
import { readHeader, dtypeName, shapeText, shapeMismatch } from './npy.js';

const SLOTS = ['A', 'B'];
/** Per slot: {file, info, uploaded: {file, id, rows, cols}|null, upload: {abort}|null}. */
const state = { A: empty(), B: empty() };
let busy = false;

/** 812 B, 2.4 kB, 1.23 MB, 1.5 GB: a file's size as people read it. */
function size(bytes) {
  if (!Number.isFinite(bytes)) return '–';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = -1;
  do { v /= 1000; i++; } while (v >= 1000 && i < units.length - 1);
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

function empty() {
  return { file: null, info: null, uploaded: null, upload: null, reading: 0 };
}

export function initNpyUpload() {
  for (const button of document.querySelectorAll('#submit .segment')) {
    button.addEventListener('click', () => showMode(button.dataset.mode));
  }
  for (const slot of SLOTS) {
    const input = $(`u-file${slot}`);
    input.addEventListener('change', () => {
      const files = [...input.files];
      if (files.length) choose(slot, files[0]);
    });
    const box = $(`slot-${slot}`);
    box.addEventListener('dragenter', (e) => { if (hasFiles(e)) { e.preventDefault(); box.dataset.over = 'true'; } });
    box.addEventListener('dragover', (e) => { if (hasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
    box.addEventListener('dragleave', (e) => { if (!box.contains(e.relatedTarget)) delete box.dataset.over; });
    box.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      delete box.dataset.over;
      const files = [...e.dataTransfer.files];
      if (files.length >= 2) {
        // Both at once: in the order dropped, A then B.
        choose('A', files[0]);
        choose('B', files[1]);
      } else if (files.length === 1) {
        choose(slot, files[0]);
      }
    });
  }
  $('upload-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!busy) send();
  });
  $('upload-cancel').addEventListener('click', () => {
    for (const slot of SLOTS) state[slot].upload?.abort();
  });
  for (const id of ['u-verify', 'u-chunkRows']) $(id).addEventListener('input', () => markInvalid(null));
}

function hasFiles(e) {
  return !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');
}

function showMode(mode) {
  for (const button of document.querySelectorAll('#submit .segment')) {
    button.setAttribute('aria-pressed', String(button.dataset.mode === mode));
  }
  $('submit-form').hidden = mode !== 'seed';
  $('upload-form').hidden = mode !== 'files';
  $('submit').dataset.mode = mode;
}

async function choose(slot, file) {
  if (busy) return; // the files being sent stay the files shown
  const s = state[slot];
  s.file = file;
  s.info = null;
  const ticket = ++s.reading;
  hideMessages();
  renderSlot(slot);
  renderCheck();
  let info;
  try {
    info = await readHeader(file, slot);
  } catch (e) {
    info = { problem: `${slot}: the file could not be read (${e.message}).`, shape: null };
  }
  if (s.reading !== ticket) return; // another file was chosen meanwhile
  s.info = info;
  renderSlot(slot);
  renderCheck();
}

function renderSlot(slot) {
  const s = state[slot];
  const box = $(`slot-${slot}`);
  const info = s.info;
  const problem = $(`u-problem${slot}`);
  setText($(`u-name${slot}`), s.file ? s.file.name : '');
  setText($(`u-size${slot}`), s.file ? size(s.file.size) : '');
  if (!s.file) {
    box.dataset.state = 'empty';
  } else if (!info) {
    box.dataset.state = 'reading';
  } else {
    box.dataset.state = info.problem ? 'invalid' : 'ready';
  }
  const shapeKnown = info && info.shape;
  setText($(`u-shape${slot}`), shapeKnown ? shapeText(info.shape) : '');
  setText($(`u-dtype${slot}`), info && info.descr
    ? `${dtypeName(info.descr)}${info.descr === '<f8' ? ' → float32' : ''}${info.fortranOrder ? ' · Fortran order' : ''}` : '');
  problem.hidden = !(info && info.problem);
  setText(problem, info && info.problem ? info.problem : '');
  const input = $(`u-file${slot}`);
  if (info && info.problem) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  // A bar from a previous file does not belong to this one.
  if (!s.uploaded || s.uploaded.file !== s.file) {
    $(`u-upload${slot}`).hidden = true;
    showProgress(slot, 0, 0, '');
  }
}

/** What stands in the way of multiplying, or null: the sentence shown under the files. */
function obstacle() {
  const a = state.A;
  const b = state.B;
  const bad = SLOTS.filter((slot) => state[slot].info?.problem);
  if (bad.length === 2) return 'Neither A nor B can be sent as it is (the reasons are under each file): choose other files.';
  if (bad.length === 1) return `${bad[0]} cannot be sent as it is (the reason is under the file): choose another ${bad[0]}.`;
  if (!a.file || !b.file) return `Choose ${!a.file && !b.file ? 'A and B' : !a.file ? 'A' : 'B'} (.npy).`;
  if (!a.info || !b.info) return 'Reading the headers…';
  return shapeMismatch(a.info.shape, b.info.shape);
}

function renderCheck() {
  const box = $('upload-check');
  delete box.dataset.attention;
  const a = state.A.info;
  const b = state.B.info;
  const problem = obstacle();
  if (a && b && !a.problem && !b.problem && !problem) {
    const [m, k] = a.shape;
    const n = b.shape[1];
    box.dataset.state = 'ok';
    setText(box, `A ${m}×${k} · B ${k}×${n} → C ${m}×${n} (${(m * n).toLocaleString('en-US')} values, ${size(m * n * 4)} as float32).`);
  } else if ((a && a.problem) || (b && b.problem) || (a && b && problem)) {
    box.dataset.state = (a && b && !a.problem && !b.problem) ? 'mismatch' : 'invalid';
    setText(box, problem);
  } else {
    box.dataset.state = 'none';
    setText(box, problem || '');
  }
}

async function send() {
  hideMessages();
  markInvalid(null);
  const problem = obstacle();
  if (problem) {
    // The reason is already written under the files: draw the eye to it, and to the file to change.
    renderCheck();
    const check = $('upload-check');
    check.dataset.attention = 'false';
    requestAnimationFrame(() => { check.dataset.attention = 'true'; });
    const bad = SLOTS.find((slot) => !state[slot].file || state[slot].info?.problem) || 'B';
    $(`u-file${bad}`).focus();
    return;
  }
  setBusy(true);
  try {
    const ids = await uploadBoth();
    const body = jobBody(ids.A, ids.B, $('u-verify').value, $('u-chunkRows').value);
    setText($('upload-button'), 'Submitting…');
    const created = await api.submit(body);
    const a = state.A.uploaded;
    const b = state.B.uploaded;
    const ok = $('upload-ok');
    setText(ok, `Job ${shortId(created.id)} accepted: A ${a.rows}×${a.cols} · B ${b.rows}×${b.cols}. It starts as soon as a worker is free.`);
    ok.hidden = false;
    const view = await api.job(created.id).catch(() => null);
    if (view) store.putJob(view);
    store.select(created.id);
  } catch (err) {
    showError(err.message);
    if (/^chunkRows\b/.test(err.message)) markInvalid('u-chunkRows');
    else if (/^verify\b|full verification/.test(err.message)) markInvalid('u-verify');
  } finally {
    setBusy(false);
  }
}

/** Uploads A and B side by side (each file once: a file already sent keeps its id). */
async function uploadBoth() {
  const jobs = SLOTS.map((slot) => uploadOne(slot));
  try {
    const [a, b] = await Promise.all(jobs);
    return { A: a, B: b };
  } catch (err) {
    for (const slot of SLOTS) state[slot].upload?.abort();
    await Promise.allSettled(jobs);
    throw err;
  }
}

async function uploadOne(slot) {
  const s = state[slot];
  const file = s.file;
  if (s.uploaded && s.uploaded.file === file) return s.uploaded.id;
  $(`u-upload${slot}`).hidden = false;
  $(`slot-${slot}`).dataset.state = 'uploading';
  showProgress(slot, 0, file.size, `Uploading ${size(file.size)}…`);
  const upload = uploadMatrix(file, (sent, total) => {
    showProgress(slot, sent, total, `${Math.floor(100 * sent / (total || 1))}% · ${size(sent)} of ${size(total)}`);
  });
  s.upload = upload;
  try {
    const stored = await upload.promise;
    if (s.file === file) {
      s.uploaded = { file, id: stored.id, rows: stored.rows, cols: stored.cols };
      showProgress(slot, file.size, file.size, `${stored.status === 200 ? 'Already on the grid' : 'Uploaded'} · ${stored.rows}×${stored.cols} · id ${shortId(stored.id)}`);
      $(`u-progress${slot}`).dataset.status = 'completed';
      $(`slot-${slot}`).dataset.state = 'uploaded';
    }
    return stored.id;
  } catch (err) {
    if (s.file === file) {
      $(`u-progress${slot}`).dataset.status = 'failed';
      showProgress(slot, null, null, err.status === 0 && /cancelled/.test(err.message) ? 'Cancelled' : 'Refused');
      $(`slot-${slot}`).dataset.state = 'ready';
    }
    err.message = /^[AB]\b/.test(err.message) ? err.message : `${slot}: ${err.message}`;
    throw err;
  } finally {
    s.upload = null;
  }
}

/** The job body by matrix id; chunk rows sent as typed (a whole number as a number, else a string for the server to judge). */
export function jobBody(a, b, verify, chunkRows) {
  const parts = [`"a":${JSON.stringify(a)}`, `"b":${JSON.stringify(b)}`];
  if (verify && verify !== 'auto') parts.push(`"verify":${JSON.stringify(verify)}`);
  const raw = (chunkRows ?? '').trim().replace(/[\s_,]/g, '');
  if (raw !== '') parts.push(`"chunkRows":${/^\d{1,30}$/.test(raw) ? raw.replace(/^0+(?=\d)/, '') : JSON.stringify(raw)}`);
  return `{${parts.join(',')}}`;
}

function showProgress(slot, sent, total, text) {
  const bar = $(`u-progress${slot}`);
  if (sent === null) {
    setText($(`u-progress${slot}-text`), text);
    return;
  }
  const pct = total > 0 ? Math.min(100, Math.round(100 * sent / total)) : 0;
  bar.querySelector('.progress-fill').style.width = `${pct}%`;
  bar.setAttribute('aria-valuenow', String(pct));
  bar.dataset.status = pct > 0 && pct < 100 ? 'running' : bar.dataset.status === 'completed' && pct === 100 ? 'completed' : '';
  setText($(`u-progress${slot}-text`), text);
}

function setBusy(on) {
  busy = on;
  const button = $('upload-button');
  button.disabled = on;
  setText(button, on ? 'Uploading…' : 'Upload and multiply');
  $('upload-cancel').hidden = !on;
  for (const slot of SLOTS) $(`u-file${slot}`).disabled = on;
}

function showError(message) {
  const box = $('upload-error');
  setText(box, message);
  box.hidden = false;
}

function hideMessages() {
  $('upload-error').hidden = true;
  $('upload-ok').hidden = true;
}

function markInvalid(id) {
  for (const n of ['u-verify', 'u-chunkRows']) {
    if (n === id) {
      $(n).setAttribute('aria-invalid', 'true');
      $(n).setAttribute('aria-describedby', 'upload-error');
    } else {
      $(n).removeAttribute('aria-invalid');
      $(n).removeAttribute('aria-describedby');
    }
  }
  if (id) $(id).focus();
}
