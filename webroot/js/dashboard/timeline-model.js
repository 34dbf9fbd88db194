// Turns a job's timeline events into Gantt rows: one lane per worker, one attempt per
// assignment (a chunk sent to a worker) from its first event to the event that settled it.
//
// Event types known today (Scheduler): queued, started, dispatch, done, rejected, failed,
// lost, expired, discarded, verification-failed, completed, failed, cancelled; more may come
// (speculate, excluded ...). The rules are generic so new types still draw sensibly:
//   - the first event of an attempt number opens an attempt (its type is the attempt's kind);
//   - the next one settles it (its type is the outcome: done = accepted, anything else = not);
//   - later ones for the same assignment are kept as notes on it (e.g. a late result refused);
//   - an event with a worker but no assignment is a mark in that worker's lane;
//   - an event with neither is a mark for the whole job.

export const ACCEPTED = 'done';
const JOB_END = new Set(['completed', 'failed', 'cancelled']);

/** Outcome → the class of colour it is drawn with. */
export function outcomeClass(outcome) {
  if (outcome === null || outcome === undefined) return 'open';
  if (outcome === ACCEPTED) return 'ok';
  if (outcome === 'lost' || outcome === 'expired') return 'lost';
  if (outcome === 'rejected' || outcome === 'failed' || outcome === 'verification-failed') return 'bad';
  if (outcome === 'discarded' || outcome === 'cancelled') return 'void';
  return 'other';
}

export function buildGantt(events, now = Date.now()) {
  const attempts = new Map();
  const lanes = new Map();
  const byChunk = new Map();
  const jobMarks = [];
  let started = null;
  let first = Infinity;
  let ended = null;
  let endType = null;

  const laneOf = (e) => {
    const key = e.label || e.worker || '?';
    let lane = lanes.get(key);
    if (!lane) {
      lane = { key, workerId: e.label || null, name: e.worker || e.label || 'worker', attempts: [], marks: [], firstT: e.t };
      lanes.set(key, lane);
    }
    if (e.worker) lane.name = e.worker;
    return lane;
  };

  for (const e of events) {
    first = Math.min(first, e.t);
    if (e.attempt !== undefined) {
      let a = attempts.get(e.attempt);
      if (!a) {
        const lane = laneOf(e);
        const previous = byChunk.get(e.chunk) || [];
        a = {
          id: e.attempt,
          chunk: e.chunk,
          lane,
          kind: e.type,
          start: e.t,
          end: null,
          outcome: null,
          detail: e.detail || null,
          endDetail: null,
          notes: [],
          attempt: previous.length + 1,
          previous: previous.length ? previous[previous.length - 1] : null,
          // Another attempt of this chunk still out: a copy raced beside it.
          speculative: e.type === 'speculate' || previous.some((p) => p.end === null),
        };
        a.reassigned = previous.length > 0 && !a.speculative;
        if (e.type !== 'dispatch' && e.type !== 'speculate' && isSettling(e.type)) {
          // Its opening event is gone (timeline capacity): a settled attempt of no length.
          a.kind = 'dispatch';
          a.end = e.t;
          a.outcome = e.type;
          a.endDetail = e.detail || null;
        }
        attempts.set(a.id, a);
        lane.attempts.push(a);
        previous.push(a);
        byChunk.set(e.chunk, previous);
      } else if (a.end === null) {
        a.end = e.t;
        a.outcome = e.type;
        a.endDetail = e.detail || null;
      } else {
        a.notes.push({ t: e.t, type: e.type, detail: e.detail || null });
      }
      continue;
    }
    if (e.label) {
      laneOf(e).marks.push({ t: e.t, type: e.type, detail: e.detail || null });
      continue;
    }
    if (e.type === 'started' && started === null) started = e.t;
    if (JOB_END.has(e.type)) { ended = e.t; endType = e.type; }
    jobMarks.push({ t: e.t, type: e.type, detail: e.detail || null });
  }

  // The chart starts when the job started (time in the queue is not worker time).
  const firstAttempt = Math.min(...[...attempts.values()].map((a) => a.start), Infinity);
  let t0 = started ?? (Number.isFinite(firstAttempt) ? firstAttempt : first);
  if (!Number.isFinite(t0)) t0 = now;
  let t1 = ended ?? now;
  for (const a of attempts.values()) t1 = Math.max(t1, a.end ?? (ended ?? now));
  if (t1 <= t0) t1 = t0 + 1;

  const list = [...lanes.values()].sort((x, y) => x.firstT - y.firstT);
  for (const lane of list) packSlots(lane, t1);
  const all = [...attempts.values()];
  return {
    t0,
    t1,
    running: ended === null,
    endType,
    lanes: list,
    attempts: all,
    jobMarks,
    stats: {
      attempts: all.length,
      accepted: all.filter((a) => a.outcome === ACCEPTED).length,
      open: all.filter((a) => a.end === null).length,
      reassigned: all.filter((a) => a.reassigned).length,
      speculative: all.filter((a) => a.speculative).length,
      refused: all.filter((a) => a.end !== null && a.outcome !== ACCEPTED).length,
    },
  };
}

/** Attempts of one worker overlap (it holds several chunks at once): give each a row of the lane. */
function packSlots(lane, t1) {
  const rowsEnd = [];
  for (const a of [...lane.attempts].sort((x, y) => x.start - y.start)) {
    const end = a.end ?? t1;
    let row = rowsEnd.findIndex((e) => e <= a.start);
    if (row < 0) { row = rowsEnd.length; rowsEnd.push(end); } else rowsEnd[row] = end;
    a.slot = row;
  }
  lane.depth = Math.max(1, rowsEnd.length);
}

function isSettling(type) {
  return type !== 'dispatch' && type !== 'speculate';
}

/** A person's sentence for an attempt, for tooltips and the notes list. */
export function describeAttempt(a) {
  const parts = [`chunk ${a.chunk ?? '?'} on ${a.lane.name}`];
  if (a.attempt > 1) parts.push(`attempt ${a.attempt}`);
  if (a.speculative) parts.push('speculative copy');
  else if (a.reassigned && a.previous) parts.push(`reassigned after ${a.previous.outcome || 'a slow answer'} on ${a.previous.lane.name}`);
  if (a.end === null) parts.push('in flight');
  else parts.push(a.outcome === ACCEPTED ? `accepted after ${Math.round(a.end - a.start)} ms` : `${a.outcome} after ${Math.round(a.end - a.start)} ms`);
  if (a.endDetail) parts.push(a.endDetail);
  for (const n of a.notes) parts.push(`then ${n.type}${n.detail ? ': ' + n.detail : ''}`);
  return parts.join(' · ');
}
