package brain.checkpoint;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoint appends from the scheduler's thread, written in batches: while one batch is being
 * written and forced on a worker thread, the appends that arrive queue, and go together in the
 * next one, with one force per file. A chunk still counts only once it is on disk, but a busy
 * job pays one worker-thread hop and one force per batch instead of per chunk (the hop and the
 * force per chunk had cut tiny-chunk throughput to a third; docs/BENCHMARK.md). Confined to the
 * thread that calls {@link #append}; the futures complete on it.
 */
public final class CheckpointBatches {
  private record Append(ChunkLog log, ChunkLog.Entry entry, float[] values, Promise<Void> done) {}

  private final WorkerExecutor executor;
  private List<Append> queued = new ArrayList<>();
  private boolean writing;
  private long batches;

  public CheckpointBatches(WorkerExecutor executor) {
    this.executor = executor;
  }

  /** Completes once the chunk's rows and record are forced to disk; fails with the write's error. */
  public Future<Void> append(ChunkLog log, ChunkLog.Entry entry, float[] values) {
    Promise<Void> done = Promise.promise();
    queued.add(new Append(log, entry, values, done));
    if (!writing) {
      writeQueued();
    }
    return done.future();
  }

  private void writeQueued() {
    List<Append> batch = queued;
    queued = new ArrayList<>();
    writing = true;
    batches++;
    executor.executeBlocking(() -> write(batch), false).onComplete(ar -> {
      writing = false;
      for (int i = 0; i < batch.size(); i++) {
        Throwable failed = ar.failed() ? ar.cause() : ar.result().get(i);
        if (failed == null) {
          batch.get(i).done().complete();
        } else {
          batch.get(i).done().fail(failed);
        }
      }
      if (!queued.isEmpty()) {
        writeQueued();
      }
    });
  }

  /** Batches written so far (each one worker-thread task and one force per file). */
  public long batches() {
    return batches;
  }

  /** Blocking: writes every append, then forces each file once; answers each append's error, or null. */
  private static List<Throwable> write(List<Append> batch) {
    List<Throwable> errors = new ArrayList<>(batch.size());
    Map<ChunkLog, Long> lastWrite = new IdentityHashMap<>();
    for (Append a : batch) {
      try {
        lastWrite.put(a.log(), a.log().write(a.entry(), a.values()));
        errors.add(null);
      } catch (Exception e) {
        errors.add(e);
      }
    }
    Map<ChunkLog, Throwable> forceErrors = new IdentityHashMap<>();
    lastWrite.forEach((log, upTo) -> {
      try {
        log.force(upTo);
      } catch (Exception e) {
        forceErrors.put(log, e);
      }
    });
    for (int i = 0; i < batch.size(); i++) {
      Throwable forceError = forceErrors.get(batch.get(i).log());
      if (errors.get(i) == null && forceError != null) {
        errors.set(i, forceError);
      }
    }
    return errors;
  }
}
