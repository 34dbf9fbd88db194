// What the page knows, fed by REST answers and the live feeds; views subscribe to it.
//
//   jobs        id -> job view (the shape of GET /api/jobs/{id})
//   selected    the job shown in detail (mirrored in location.hash as #job=<id>)
//   timelines   id -> {events, loaded}: live timeline events, and whether the stored ones were merged

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const MAX_TIMELINES = 40;
const MAX_EVENTS = 20000;

export const isFinal = (status) => FINAL.has(status);

class Store extends EventTarget {
  constructor() {
    super();
    this.jobs = new Map();
    this.selected = null;
    this.autoSelected = false;
    this.timelines = new Map();
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  on(type, fn) {
    this.addEventListener(type, (e) => fn(e.detail));
  }

  /** Merges a job view; a stale view (older than what we hold for a finished job) is ignored. */
  putJob(view) {
    if (!view || typeof view.id !== 'string') return;
    const old = this.jobs.get(view.id);
    if (old && isFinal(old.status) && !isFinal(view.status)) return;
    if (old && !isFinal(view.status) && (old.chunksDone || 0) > (view.chunksDone || 0)
        && old.status === view.status && old.phase === view.phase) return;
    this.jobs.set(view.id, view);
    if (!old) this._emit('newjob', view);
    this._emit('job', view);
  }

  putJobs(views) {
    for (const v of views) this.putJob(v);
  }

  /** Jobs newest first. */
  jobList() {
    return [...this.jobs.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  }

  /** `auto`: chosen by the page, not the person (the page may then move on to a newer job). */
  select(id, { fromHash = false, auto = false } = {}) {
    this.autoSelected = auto;
    if (this.selected === id) return;
    this.selected = id;
    if (!fromHash) {
      const hash = id ? `#job=${encodeURIComponent(id)}` : '';
      if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname + location.search);
    }
    this._emit('select', id);
  }

  // ------------------------------------------------------------ timelines

  timeline(id) {
    let t = this.timelines.get(id);
    if (!t) {
      t = { events: [], keys: new Set(), loaded: false };
      this.timelines.set(id, t);
      if (this.timelines.size > MAX_TIMELINES) {
        for (const key of this.timelines.keys()) {
          if (key !== this.selected) { this.timelines.delete(key); break; }
        }
      }
    }
    return t;
  }

  /** Adds timeline events of one job (live or stored); duplicates are dropped. */
  addEvents(jobId, events) {
    const t = this.timeline(jobId);
    let added = 0;
    for (const e of events) {
      if (!e || typeof e.type !== 'string' || typeof e.t !== 'number') continue;
      const key = `${e.t}|${e.type}|${e.attempt ?? ''}|${e.chunk ?? ''}|${e.label || ''}`;
      if (t.keys.has(key)) continue;
      t.keys.add(key);
      t.events.push(e);
      added++;
    }
    if (added) {
      t.events.sort((a, b) => a.t - b.t);
      if (t.events.length > MAX_EVENTS) t.events.splice(0, t.events.length - MAX_EVENTS);
      this._emit('timeline', jobId);
    }
  }

  markTimelineLoaded(jobId) {
    this.timeline(jobId).loaded = true;
    this._emit('timeline', jobId);
  }
}

export const store = new Store();
