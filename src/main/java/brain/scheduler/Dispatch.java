package brain.scheduler;

import brain.trust.TrustRegistry;
import brain.model.ChunkPlan;
import brain.model.JobStatus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Sends work out: pending chunks to workers with free slots, B's parts with a worker's first
 * chunk of a job, speculative copies of stragglers; and takes leases back. Nothing goes out
 * once the scheduler's term may have ended. Confined to the scheduler's thread.
 */
final class Dispatch {
  private static final SecureRandom IDS = new SecureRandom();
  /** Chunks set aside per worker, their A slices fetched ahead: at most this many (docs/PROTOCOL.md §4). */
  static final int MAX_AHEAD = 2;

  private final Vertx vertx;
  private final SchedulerSettings settings;
  private final WorkerPool pool;
  private final Term term;
  private final Supplier<Collection<RunningJob>> running;

  Dispatch(Vertx vertx, SchedulerSettings settings, WorkerPool pool, Term term, Supplier<Collection<RunningJob>> running) {
    this.vertx = vertx;
    this.settings = settings;
    this.pool = pool;
    this.term = term;
    this.running = running;
  }

  /**
   * Gives pending chunks to workers with free slots, oldest job first, round robin over
   * workers (never to an excluded one, and preferably not a chunk it already failed); then,
   * with slots still free, speculative copies of stragglers.
   */
  void pump() {
    if (!term.mayAct()) {
      return; // a scheduler whose lease may have run out sends nothing
    }
    long now = System.currentTimeMillis();
    for (RunningJob job : List.copyOf(running.get())) {
      // Locality: a worker whose cache holds the job's B is asked first (it costs the wire nothing);
      // the others follow as soon as it has no free slot, so none waits on it.
      String bId = job.inputs == null || job.plan.blocked() ? null : job.inputs.panels().get(0).item.id();
      while (job.dispatchable()) {
        int[] holders = holders(job);
        // Protocol 2, a row-slice job: a worker whose cache holds B is asked first (a 2-D-block
        // job's locality is by the panel each worker holds, in pendingFor).
        WorkerSession session = bId == null ? null : pool.take(s -> s.holds.contains(bId) && s.canTake(job)
            && !s.excluded(now) && pendingFor(s, job, false, holders) >= 0);
        if (session == null) {
          session = pool.take(s -> s.canTake(job) && !s.excluded(now) && pendingFor(s, job, false, holders) >= 0);
        }
        boolean failedToo = session == null;
        if (session == null) {
          session = pool.take(s -> s.canTake(job) && !s.excluded(now) && pendingFor(s, job, true, holders) >= 0);
        }
        if (session == null) {
          break;
        }
        int chunk = pendingFor(session, job, failedToo, holders);
        job.take(chunk);
        dispatch(session, job, chunk, false);
        pool.offer(session);
      }
    }
    speculate(now);
  }

  /**
   * Sets the next pending chunks of a row-slice job aside for this worker, as many as it has
   * slots (at most {@link #MAX_AHEAD}), and names their A slices in the message so that it
   * fetches them while its chunks in flight compute: its next chunk then starts without a
   * round trip (a W = 1 job of 512³ in 16-row chunks: the chunks took 7 % less, docs/BENCHMARK.md).
   * Granted like a lease's inputs; others take those chunks only once nothing else is pending,
   * and enough is left pending for the workers waiting with free slots.
   */
  private void fetchAhead(WorkerSession session, RunningJob job, JsonObject message) {
    // Workers waiting with free slots come first: what they would take now is not set aside (their
    // free slots counted as this one's slots), so a set-aside chunk goes to another only at the very end.
    int keepPending = pool.waitingWithFreeSlot() * session.slots;
    // And only slices that fit the worker's memory budget beside one chunk: its cache would
    // otherwise let B go to make room for them.
    long aSlice = (long) job.plan.chunkRows() * job.spec.colsA() * Float.BYTES;
    long spare = session.memoryBytes - job.chunkMemoryBytes();
    int depth = (int) Math.min(Math.min(session.slots, MAX_AHEAD), Math.max(0, spare / Math.max(1, aSlice)));
    List<JobInputs.Item> ahead = new ArrayList<>();
    for (int next; (next = job.reserveNext(session.sessionId, session.workerId, depth, keepPending)) >= 0; ) {
      JobInputs.Item item = job.inputs.aItems[next];
      session.granted.put(item.id(), new WorkerSession.Grant(item, job.id));
      ahead.add(item);
    }
    if (!ahead.isEmpty()) {
      message.put("prefetch", WorkerMessages.items(session.dataToken, ahead.toArray(JobInputs.Item[]::new)));
    }
  }

  /** The chunk this worker should take next (locality: the B panel it holds), or -1. */
  private static int pendingFor(WorkerSession session, RunningJob job, boolean failedToo, int[] holders) {
    Integer held = session.bPanels.get(job.id);
    return job.pendingFor(session.workerId, session.sessionId, held == null ? -1 : held, job.plan.blocked() && session.busyWith(job),
        failedToo, holders);
  }

  /** For a 2-D-block job: how many workers hold each B panel now (null for a row-slice job). */
  private int[] holders(RunningJob job) {
    if (!job.plan.blocked()) {
      return null;
    }
    int[] holders = new int[job.plan.panels()];
    for (WorkerSession s : pool.sessions()) {
      Integer held = s.bPanels.get(job.id);
      if (held != null) {
        holders[held]++;
      }
    }
    return holders;
  }

  /**
   * A straggler is a chunk out longer than {@code factor} × the job's median round trip (and
   * at least {@code minMs}), once {@code minDoneFraction} of the job is done and nothing else
   * is pending: an idle worker gets a copy, the first valid result wins, the other is cancelled.
   */
  private void speculate(long now) {
    if (!pool.mayHaveFreeSlot()) {
      return;
    }
    for (RunningJob job : List.copyOf(running.get())) {
      if (job.status != JobStatus.RUNNING || job.inputs == null || job.hasPending()
          || job.chunksDone < settings.speculationMinDoneFraction() * job.plan.size()) {
        continue;
      }
      double threshold = Math.max(settings.speculationMinMs(), settings.speculationFactor() * job.medianRoundTrip());
      for (Lease lease : job.stragglers(threshold)) {
        if (job.leasesOut(lease.chunkIndex) > 1) {
          continue; // a copy went out earlier in this loop
        }
        int panel = job.plan.get(lease.chunkIndex).panel(job.plan);
        WorkerSession copyHolder = pool.take(s -> !s.workerId.equals(lease.session.workerId) && s.canTake(job)
            && !s.excluded(now) && s.trust != TrustRegistry.Level.SUSPECT
            && (!job.plan.blocked() || !s.busyWith(job) || Integer.valueOf(panel).equals(s.bPanels.get(job.id))));
        if (copyHolder == null) {
          return;
        }
        dispatch(copyHolder, job, lease.chunkIndex, true);
        pool.offer(copyHolder);
      }
    }
  }

  private void dispatch(WorkerSession session, RunningJob job, int chunk, boolean speculative) {
    String address = session.address();
    int panel = job.plan.get(chunk).panel(job.plan);
    Integer held = session.bPanels.put(job.id, panel);
    boolean newPanel = held == null || held != panel;
    if (newPanel) {
      job.bPanelsSent++;
    }
    String assignmentId = newId();
    JsonObject message;
    long bytesOut;
    if (session.protocol >= 2 && !inline(job)) {
      // Control on the bus, bulk data over HTTP: the message names the inputs, the worker fetches
      // what its cache lacks (§4), and may fetch only what a lease of its session named.
      JobInputs.Item a = job.inputs.aItems[chunk];
      JobInputs.Item b = job.inputs.bItemOf(chunk);
      session.granted.put(a.id(), new WorkerSession.Grant(a, job.id));
      session.granted.put(b.id(), new WorkerSession.Grant(b, job.id));
      message = WorkerMessages.chunkV2(job, chunk, assignmentId, settings.leaseMs(), session.dataToken, a, b);
      if (!speculative) {
        fetchAhead(session, job, message);
      }
      bytesOut = WorkerMessages.wireBytes(address, message);
    } else {
      if (newPanel) {
        // The worker replaces the B panel it holds for this job (docs/PROTOCOL.md §3).
        JobInputs.Panel bPanel = job.inputs.panels().get(panel);
        for (JobInputs.BPart part : bPanel.parts()) {
          vertx.eventBus().send(address, WorkerMessages.bPart(job, bPanel, part));
        }
        job.tally.bytes += job.bWireBytes(address, panel);
      }
      message = WorkerMessages.chunk(job, chunk, assignmentId, settings.leaseMs());
      bytesOut = WorkerMessages.wireBytes(address, message);
    }
    Lease lease = job.openLease(assignmentId, chunk, session, settings.leaseMs(), bytesOut, speculative);
    session.inFlight.put(assignmentId, lease);
    vertx.eventBus().send(address, message);
    int attempt = job.attempts(chunk);
    brain.metrics.GridMeters.of(vertx).dispatched(attempt > 1 && !speculative); // GridMeters hook
    job.timeline.add(speculative ? "speculate" : "dispatch", chunk, session, lease,
        attempt > 1 ? "attempt " + attempt : null);
  }

  /**
   * A job whose chunks' A rows and result are each at most {@code scheduler.inlineMaxBytes}, and
   * whose B (panel) fits in one {@code b} part, travels inline on the bus (protocol 1's messages,
   * which every worker reads), even to a protocol-2 worker, for every chunk of the job: for
   * payloads that small, an HTTP request each way costs more than the base64 (measured by the
   * bench's "inline or data plane" rows: docs/BENCHMARK.md).
   */
  private boolean inline(RunningJob job) {
    if (job.inline == null) { // decided once per job from its first (largest) chunk: a worker holds one job's B one way
      ChunkPlan.Chunk first = job.plan.get(0);
      long limit = settings.inlineMaxBytes();
      job.inline = job.inputs.aItems[0].bytes() <= limit && (long) first.rows() * first.cols() * Float.BYTES <= limit
          && job.inputs.bItemOf(0).bytes() <= settings.bPartBytes();
    }
    return job.inline;
  }

  /** Takes a lease back from its worker (another copy won: {@code notNeeded}; or it expired), telling the worker. */
  void withdraw(Lease lease, boolean notNeeded) {
    lease.session.takeBack(lease.assignmentId, notNeeded);
    vertx.eventBus().send(lease.session.address(), WorkerMessages.cancel(List.of(lease.assignmentId)));
    pool.offer(lease.session);
  }

  /** 128 random bits, base64url: unguessable ids for sessions and leases. */
  static String newId() {
    byte[] bytes = new byte[16];
    IDS.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
