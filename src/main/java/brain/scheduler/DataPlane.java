package brain.scheduler;

import brain.bus.HeldBytes;
import brain.model.ApiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * The scheduler's side of the binary data plane (docs/PROTOCOL.md §4): the HTTP verticle of the
 * node a worker's socket is on asks it whether a data URL may be served and whether an upload
 * may be read, then hands it the body. What it checks is what a result message is checked for
 * today: the session (here by the capability in the URL, {@link WorkerSession#dataToken}), an
 * open lease of that session, and, for uploads, the exact size (another size is a wrong result,
 * refused as one) and only once. A refusal is an
 * {@link ApiError} answered before any body is read: it costs a map lookup and no write.
 * Confined to the scheduler's thread.
 */
final class DataPlane {
  private final WorkerPool pool;
  private final Settlement settlement;
  private final Function<String, RunningJob> runningJob;
  private final Term term;

  DataPlane(WorkerPool pool, Settlement settlement, Function<String, RunningJob> runningJob, Term term) {
    this.pool = pool;
    this.settlement = settlement;
    this.runningJob = runningJob;
    this.term = term;
  }

  /**
   * {@code {c, item}} → {@code {file, offset, length}}, a region to stream, or the item's {@link
   * HeldBytes} (a small generated job's, held in memory), if a lease of this session named it.
   */
  Object fetch(JsonObject request) {
    WorkerSession session = session(request.getString("c"));
    WorkerSession.Grant grant = session.granted.get(request.getString("item"));
    if (grant == null) {
      throw new ApiError(404, "no lease of this session names that item");
    }
    JobInputs.Item item = grant.item();
    session.dataBytesOut += item.bytes();
    RunningJob job = runningJob.apply(grant.jobId());
    if (job != null) {
      job.tally.bytes += item.bytes();
    }
    if (item.held() != null) {
      return new HeldBytes(item.held());
    }
    return new JsonObject().put("file", item.file().toString()).put("offset", item.offset()).put("length", item.bytes());
  }

  /**
   * {@code {c, assignmentId, length}}: may this upload be read? Only into an open lease of this
   * session, not uploaded before, of exactly rows × cols × 4 bytes (a 2-D block's own columns). Marks the lease as being
   * uploaded, so a replay is refused even while the first body is still arriving.
   */
  JsonObject uploadCheck(JsonObject request) {
    Lease lease = admit(request, request.getLong("length", -1L));
    return lease == null ? new JsonObject().put("late", true) : new JsonObject().put("bytes", lease.resultBytes());
  }

  /** The checks of {@link #uploadCheck}: the lease, marked as being uploaded; null for a late one. */
  private Lease admit(JsonObject request, long length) {
    if (!term.mayAct()) {
      throw new ApiError(503, "this scheduler's term may have ended: the chunk goes to another worker");
    }
    WorkerSession session = session(request.getString("c"));
    String assignmentId = request.getString("assignmentId");
    if (!session.inFlight.containsKey(assignmentId) && session.withdrawn.remove(assignmentId)) {
      // Its result crossed our cancel: honest, just not needed. Once per lease (removed above).
      return null;
    }
    Lease lease = openLease(session, request);
    if (lease.uploading) {
      throw new ApiError(409, "this lease's result was uploaded already");
    }
    long expected = lease.resultBytes();
    if (length != expected) {
      String reason = "the result of this lease is exactly " + expected + " bytes, not " + length;
      settlement.refuseUpload(lease, reason);
      throw new ApiError(length > expected ? 413 : 400, reason);
    }
    lease.uploading = true;
    return lease;
  }

  /**
   * The body of an upload {@link #uploadCheck} let through, with the worker's timings: checked, then
   * settled as today. A small body comes {@code unchecked}: the check runs first, here.
   */
  JsonObject upload(JsonObject request, Buffer body) {
    Lease lease;
    if (request.getBoolean("unchecked", false)) {
      lease = admit(request, body.length());
      if (lease == null) {
        return new JsonObject().put("late", true);
      }
    } else {
      lease = openLease(session(request.getString("c")), request);
    }
    if (!lease.uploading || lease.answered) {
      throw new ApiError(409, "this lease's upload was not announced, or was answered already");
    }
    settlement.onUpload(lease, request.getDouble("computeMs", 0.0), request.getDouble("waitMs", 0.0), body);
    return new JsonObject().put("received", true);
  }

  private WorkerSession session(String token) {
    WorkerSession session = pool.byDataToken(token);
    if (session == null) {
      throw new ApiError(403, "this data URL's capability is not a live session's");
    }
    return session;
  }

  /**
   * The lease an upload names, through the same checks as a result message's ({@link
   * Settlement#leaseOf}): a late or unknown one is noted once on the job's timeline, one naming
   * another job or chunk than its own is refused as a wrong result.
   */
  private Lease openLease(WorkerSession session, JsonObject request) {
    Object chunk = request.getValue("chunk");
    Lease lease = settlement.leaseOf(session, new Inbound.LeaseRef(session.sessionId, request.getString("assignmentId"),
        request.getString("job"), chunk instanceof Number n ? n.intValue() : null));
    if (lease == null) {
      throw new ApiError(404, "this session holds no open lease of that id (expired, withdrawn, answered or another's)");
    }
    return lease;
  }
}
