// The dashboard (GET /): live through the event-bus bridge, acting through the REST API.
//
// Feeds (outbound only, brain.ui.to.client.*): health and workers every second, jobs on
// every change, timeline events every 200 ms, the leaderboard when it changes. REST gives
// the first picture and fills what a dropped connection missed.
//
// Signed out, the page is the public view: health, workers and the leaderboard (public
// feeds and endpoints) and a sign-in form; it asks nothing that needs a token. Signed in
// (the brain_session cookie, see session.js), the jobs, the form, the timeline and the
// history appear; a requestor's feeds and lists hold only its own jobs (the server filters),
// an admin's every job, and an admin gets the tokens panel.

// First: takes a ?token= out of the address bar before anything else runs.
import { resolveSession, forget, noticeForNextLoad } from './session.js';
import { EventBus } from '../eventbus.js';
import { $, setText } from './dom.js';
import { api } from './api.js';
import { store, isFinal } from './store.js';
import { initTheme } from './theme.js';
import { showHealth, showConnection, healthAge } from './health.js';
import { initSubmitForm } from './submit-form.js';
import { initNpyUpload } from './npy-upload.js';
import { initJobsList } from './jobs-list.js';
import { initJobDetail } from './job-detail.js';
import { initLegend } from './heatmap.js';
import { initGantt, ensureTimeline } from './gantt.js';
import { initNetworkChart } from './network-chart.js';
import { showLeaderboard, refreshLeaderboardTimes } from './leaderboard.js';
import { showWorkers } from './workers.js';
import { initHistory, loadHistory } from './history.js';
import { initAccount } from './account.js';
import { initTokens } from './tokens.js';

const FEED = 'brain.ui.to.client.';

function selectFromHash() {
  const m = /^#job=([A-Za-z0-9-]{1,64})$/.exec(location.hash);
  store.select(m ? m[1] : null, { fromHash: true });
}

/** Everything REST can tell: the first picture, and again after a reconnect. */
async function loadAll(signedIn) {
  const tasks = [
    api.health().then(showHealth),
    api.workers().then((b) => showWorkers(b.workers)),
    api.leaderboard(10).then((b) => showLeaderboard(b.leaderboard)),
  ];
  if (!signedIn) {
    await Promise.allSettled(tasks);
    return;
  }
  tasks.push(loadHistory());
  const open = [...store.jobs.values()].filter((j) => !isFinal(j.status)).map((j) => j.id);
  if (store.selected) open.push(store.selected);
  for (const id of new Set(open)) tasks.push(api.job(id).then((v) => store.putJob(v)).catch(() => {}));
  await Promise.allSettled(tasks);
}

/**
 * The bridge socket. Opened after the session is known, so its upgrade request carries the
 * cookie; the job feeds are registered only when signed in (the bridge sends them only to a
 * signed-in socket, and to a requestor's only its own jobs).
 */
function connect(signedIn) {
  const eb = new EventBus('/eventbus', { reconnect: true, reconnectMaxMs: 8000 });
  let everOpen = false;
  eb.register(FEED + 'health', (body) => showHealth(body));
  eb.register(FEED + 'workers', (body) => showWorkers(body && body.workers));
  eb.register(FEED + 'leaderboard', (body) => showLeaderboard(body && body.leaderboard));
  if (signedIn) registerJobFeeds(eb);
  eb.addEventListener('open', () => {
    showConnection('connected');
    if (everOpen) {
      // Back after a drop (a server restart ...): catch up on what the feeds missed.
      loadAll(signedIn);
      if (signedIn && store.selected) ensureTimeline(store.selected, { force: true });
    }
    everOpen = true;
  });
  eb.addEventListener('close', (e) => {
    const inMs = e.detail && e.detail.reconnectInMs;
    showConnection('disconnected', inMs ? `retrying in ${Math.max(1, Math.round(inMs / 1000))} s` : '');
  });
  eb.addEventListener('reconnecting', (e) => {
    setTimeout(() => { if (eb.state === 'connecting') showConnection('connecting', 'reconnecting'); }, e.detail.delayMs);
  });
  eb.addEventListener('error', (e) => console.warn('[dashboard] event bus refused a frame', e.detail));
  return eb;
}

function registerJobFeeds(eb) {
  eb.register(FEED + 'jobs', (body) => store.putJob(body));
  eb.register(FEED + 'timeline', (body) => {
    const byJob = new Map();
    for (const e of (body && body.events) || []) {
      if (!e || typeof e.jobId !== 'string') continue;
      if (!byJob.has(e.jobId)) byJob.set(e.jobId, []);
      byJob.get(e.jobId).push(e);
    }
    for (const [id, events] of byJob) {
      store.addEvents(id, events);
      // The job feed does not announce the end of "preparing": chunks going out say it.
      const job = store.jobs.get(id);
      if (job && job.phase === 'preparing' && events.some((e) => e.type === 'dispatch')) {
        store.putJob({ ...job, phase: 'computing' });
      }
    }
  });
}

/** Words that say whose jobs the lists hold. */
function showScope(session) {
  const admin = session.role === 'admin';
  setText($('jobs-scope'), admin ? 'all requestors' : 'yours');
  setText($('history-scope'), admin ? 'all requestors' : `jobs of ${session.name}`);
  setText($('history-empty'), admin ? 'No job has run on this grid yet.' : 'You have not submitted a job yet.');
  setText($('job-list-empty'), admin
    ? 'No jobs yet. Submit one: it waits in the queue until a worker joins.'
    : 'You have no jobs yet. Submit one: it waits in the queue until a worker joins.');
}

async function start() {
  initTheme();
  showConnection('connecting');
  const { session, error, notice } = await resolveSession();
  initAccount(session, { error, notice });
  const signedIn = !!session;
  if (signedIn) {
    showScope(session);
    initLegend();
    initSubmitForm();
    initNpyUpload();
    initJobsList();
    initJobDetail();
    initGantt();
    initNetworkChart();
    initHistory({ showSubmitter: session.role === 'admin' });
    if (session.role === 'admin') {
      initTokens(session, { revokedSelf: () => { forget(); noticeForNextLoad('You revoked your own token: signed out.'); location.replace(location.pathname); } });
    }
    window.addEventListener('hashchange', selectFromHash);
    selectFromHash();
  }
  const eb = connect(signedIn);
  await loadAll(signedIn);
  setInterval(() => {
    refreshLeaderboardTimes();
    $('health').dataset.stale = String(eb.isOpen && healthAge() > 5000);
  }, 5000);
  if (!signedIn) {
    document.body.dataset.ready = 'true';
    return;
  }
  if (!store.selected) {
    const latest = store.jobList()[0];
    if (latest) store.select(latest.id, { auto: true });
  }
  // Follow new jobs as they arrive, unless the person picked one or the one shown still runs.
  store.on('newjob', (job) => {
    if (isFinal(job.status)) return;
    const shown = store.selected ? store.jobs.get(store.selected) : null;
    if (!shown || (store.autoSelected && isFinal(shown.status))) store.select(job.id, { auto: true });
  });
  document.body.dataset.ready = 'true';
}

start();
