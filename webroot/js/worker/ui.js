// The worker tab's view. Every text goes in through textContent, never HTML.
//
// Element ids read by tests: #connection[data-state], #engine[data-engine][data-kernel],
// #engine-speed[data-gflops],
// #chunks-done, #worker-name (input), #worker-id, #log, #stats-done, #stats-rank,
// #standing[data-known]; body[data-ready].

const $ = (id) => document.getElementById(id);
const LOG_MAX = 12;

const CONNECTION_LABELS = {
  connecting: 'Connecting…',
  connected: 'Connected',
  disconnected: 'Disconnected',
};

export function setConnection(state, detail) {
  const el = $('connection');
  el.dataset.state = state;
  el.textContent = detail ? `${CONNECTION_LABELS[state]} · ${detail}` : CONNECTION_LABELS[state];
}

export function setEngine({ engine, kernel, label, note, noteIsWarning }) {
  const el = $('engine');
  el.dataset.engine = engine;
  el.dataset.kernel = kernel || engine;
  el.textContent = label;
  const noteEl = $('engine-note');
  noteEl.textContent = note || '';
  noteEl.hidden = !note;
  noteEl.classList.toggle('note-warn', !!noteIsWarning);
}

const gflopsText = (x) => (x >= 100 ? String(Math.round(x)) : x.toFixed(x >= 10 ? 1 : 2));

/** The engine's speed: measured at start (n³ product) and, once chunks are done, on them. GFLOP/s. */
export function setSpeed({ measured, measuredN, chunks }) {
  const el = $('engine-speed');
  if (!el) return;
  const parts = [];
  if (Number.isFinite(measured) && measured > 0) {
    el.dataset.gflops = String(measured);
    parts.push(`${gflopsText(measured)} GFLOP/s measured${measuredN ? ` (${measuredN}³)` : ''}`);
  }
  if (Number.isFinite(chunks) && chunks > 0) {
    el.dataset.chunkGflops = String(Math.round(chunks * 100) / 100);
    parts.push(`${gflopsText(chunks)} GFLOP/s on chunks`);
  }
  el.textContent = parts.length ? parts.join(' · ') : '–';
}

export function setIdentity(workerId, name) {
  $('worker-id').textContent = workerId;
  const input = $('worker-name');
  if (document.activeElement !== input) input.value = name;
}

export function onNameChange(handler) {
  const input = $('worker-name');
  const commit = () => handler(input.value);
  input.addEventListener('change', commit);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') input.blur();
  });
}

export function setNameValue(name) {
  $('worker-name').value = name;
}

export function setText(id, text) {
  const el = $(id);
  if (el) el.textContent = String(text);
}

const MEDALS = ['gold', 'silver', 'bronze'];

function computeTime(ms) {
  if (ms < 1000) return (ms < 10 ? ms.toFixed(1) : String(Math.round(ms))) + ' ms';
  if (ms < 60_000) return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1) + ' s';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** This worker's standing on the grid (the server's `stats` message): {chunksDone, computeMs, rank}. */
export function setStanding({ chunksDone, computeMs, rank }) {
  if (chunksDone !== undefined) setText('stats-done', chunksDone);
  if (computeMs !== undefined) setText('stats-compute', computeTime(computeMs));
  if (rank !== undefined) {
    const el = $('stats-rank');
    el.textContent = '#' + rank;
    el.dataset.medal = MEDALS[rank - 1] || '';
    el.title = MEDALS[rank - 1] ? `${MEDALS[rank - 1]} · rank ${rank} on the leaderboard` : `rank ${rank} on the leaderboard`;
  }
  $('standing').dataset.known = 'true';
  $('standing-note').textContent = 'Your place on the leaderboard, by verified work (credited when each job passes its final check), kept across sessions.';
}

export function setReady(ready) {
  document.body.dataset.ready = ready ? 'true' : 'false';
}

/** Adds a line to #log (newest first, the last LOG_MAX kept). level: info | ok | warn | error */
export function log(text, level = 'info') {
  const list = $('log');
  const li = document.createElement('li');
  li.className = 'log-' + level;
  const time = document.createElement('time');
  const d = new Date();
  time.dateTime = d.toISOString();
  time.textContent = d.toTimeString().slice(0, 8);
  const msg = document.createElement('span');
  msg.textContent = String(text);
  li.append(time, msg);
  list.prepend(li);
  while (list.children.length > LOG_MAX) list.lastElementChild.remove();
}
