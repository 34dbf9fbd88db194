package brain.persistence;

import static brain.bus.Addresses.*;

import brain.bus.Replies;
import brain.config.BrainConfig;
import brain.model.ApiError;
import brain.model.Float32Codec;
import brain.model.Matrix;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.jdbcclient.JDBCConnectOptions;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * The only code that touches the database. JDBC is blocking: the Vert.x JDBC client runs every
 * statement on a worker thread. SQLite takes one writer at a time, so all writes go through a
 * pool of exactly one connection (no "database is locked" between our own writes, and updates
 * applied in the order they were sent; PostgreSQL keeps the one writer for that order); reads
 * use a separate small pool, which WAL mode lets run beside the writer. What differs between
 * SQLite and PostgreSQL is in {@link Dialect}.
 */
public final class PersistenceVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(PersistenceVerticle.class.getName());

  /** Addresses whose messages write to the database: counted, so floods can be shown to cost no writes. */
  private static final java.util.Set<String> WRITES = java.util.Set.of(DB_JOB_INSERT, DB_JOB_UPDATE, DB_JOB_DELETE,
      DB_RESULT_SAVE, DB_CREDITS_GRANT, DB_LEADERBOARD_JOINED, DB_TOKEN_CREATE, DB_TOKEN_PUT, DB_TOKEN_DELETE,
      DB_TOKEN_TOUCH, DB_MATRIX_RECORD, DB_MATRIX_RELEASE, DB_IDEMPOTENCY_CLAIM, DB_IDEMPOTENCY_COMPLETE,
      DB_IDEMPOTENCY_RELEASE);

  private Pool writer;
  private Pool reader;
  private Dialect dialect;
  private TokenStore tokens;
  private MatrixStore matrices;
  private LeaderboardStore leaderboard;
  private IdempotencyStore idempotency;
  private LeaseStore lease;
  private long writes;
  private java.nio.file.Path storageDir;
  private StorageSweep sweeper;
  private long sweepTimer = -1;
  private long keySweepTimer = -1;

  @Override
  public Future<?> start() {
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    String given = conf.string("db.url");
    dialect = Dialect.of(given);
    // A transaction idle for a whole scheduler lease is a paused node's: its lease is gone anyway.
    String url = dialect.prepare(given, config().getJsonObject("cluster", new JsonObject())
        .getLong("schedulerLeaseMs", 5000L));
    storageDir = java.nio.file.Path.of(conf.string("storage.dir")).toAbsolutePath();
    JsonObject storage = config().getJsonObject("storage", new JsonObject());
    int keepResultsDays = storage.getInteger("keepResultsDays", 0);
    long orphanMinAgeMs = storage.getLong("orphanMinAgeMs", StorageSweep.ORPHAN_MIN_AGE_MS);
    writer = JDBCPool.pool(vertx, new JDBCConnectOptions().setJdbcUrl(url), new PoolOptions().setMaxSize(1));
    reader = JDBCPool.pool(vertx, new JDBCConnectOptions().setJdbcUrl(url),
        new PoolOptions().setMaxSize(dialect.readers()));
    tokens = new TokenStore(writer, reader);
    matrices = new MatrixStore(writer, reader, dialect);
    leaderboard = new LeaderboardStore(writer, reader, dialect);
    idempotency = new IdempotencyStore(writer, dialect);
    lease = new LeaseStore(writer, dialect);
    sweeper = new StorageSweep(vertx, writer, reader, dialect, storageDir, keepResultsDays, orphanMinAgeMs);
    return Schema.migrate(writer, dialect)
        .onSuccess(version -> LOG.log(System.Logger.Level.INFO,
            "database " + Dialect.redact(url) + " at schema version " + version))
        .compose(v -> Future.all(List.of(
            consume(DB_JOB_INSERT, this::insertJob),
            consume(DB_JOB_UPDATE, this::updateJob),
            consume(DB_JOB_DELETE, this::deleteJob),
            consume(DB_JOB_GET, this::getJob),
            consume(DB_JOB_LIST, this::listJobs),
            consume(DB_JOB_UNFINISHED, this::unfinishedJobs),
            consume(DB_RESULT_SAVE, this::saveResult),
            consume(DB_RESULT_GET, this::getResult),
            consume(DB_STORAGE_SWEEP, m -> sweeper.run()),
            this.<JsonObject>consume(DB_CREDITS_GRANT, m -> leaderboard.grant(m.body(), lease, LeaseStore.fenceOf(m))),
            this.<JsonObject>consume(DB_LEASE_CLAIM, m -> lease.claim(m.body())),
            this.<JsonObject>consume(DB_LEASE_RELEASE, m -> lease.release(m.body())),
            this.<JsonObject>consume(DB_LEASE_GET, m -> lease.get(reader)),
            this.<JsonObject>consume(DB_LEADERBOARD_JOINED, m -> leaderboard.joined(m.body())),
            this.<JsonObject>consume(DB_LEADERBOARD_TOP, m -> leaderboard.top(m.body())),
            this.<JsonObject>consume(DB_LEADERBOARD_STANDING, m -> leaderboard.standing(m.body())),
            consume(DB_STATS, this::stats),
            this.<JsonObject>consume(DB_TOKEN_GET, m -> tokens.get(m.body())),
            this.<JsonObject>consume(DB_TOKEN_CREATE, m -> tokens.create(m.body())),
            this.<JsonObject>consume(DB_TOKEN_PUT, m -> tokens.put(m.body())),
            this.<JsonObject>consume(DB_TOKEN_LIST, m -> tokens.list()),
            this.<JsonObject>consume(DB_TOKEN_DELETE, m -> tokens.delete(m.body())),
            this.<JsonObject>consume(DB_TOKEN_TOUCH, m -> tokens.touch(m.body())),
            this.<JsonObject>consume(DB_TOKEN_ADMINS, m -> tokens.admins()),
            this.<JsonObject>consume(DB_MATRIX_RECORD, m -> matrices.record(m.body())),
            this.<JsonObject>consume(DB_MATRIX_GET, m -> matrices.get(m.body())),
            this.<JsonObject>consume(DB_MATRIX_LIST, m -> matrices.list(m.body())),
            this.<JsonObject>consume(DB_MATRIX_RELEASE, m -> matrices.release(m.body())),
            this.<JsonObject>consume(DB_IDEMPOTENCY_CLAIM, m -> idempotency.claim(m.body())),
            this.<JsonObject>consume(DB_IDEMPOTENCY_COMPLETE, m -> idempotency.complete(m.body())),
            this.<JsonObject>consume(DB_IDEMPOTENCY_RELEASE, m -> idempotency.release(m.body())))))
        .onSuccess(v -> {
          // Retention: at start, then daily. A failed sweep is logged and retried the next day.
          sweeper.run();
          sweepTimer = vertx.setPeriodic(24L * 3600_000L, id -> sweeper.run());
          // Idempotency keys live a day: swept hourly (a claim also ignores its own expired key).
          keySweepTimer = vertx.setPeriodic(3600_000L, id -> sweepKeys());
          sweepKeys();
        });
  }

  @Override
  public Future<?> stop() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    if (keySweepTimer >= 0) {
      vertx.cancelTimer(keySweepTimer);
    }
    return Future.all(writer.close(), reader.close());
  }

  private <T> Future<Void> consume(String address, java.util.function.Function<Message<T>, Future<?>> handler) {
    boolean write = WRITES.contains(address);
    // Node-local: in a cluster every node runs its own persistence on the shared database, and a
    // request must not wander to another node (it would fail when that node dies).
    MessageConsumer<T> consumer = vertx.eventBus().localConsumer(address, message -> {
      if (write) {
        writes++;
      }
      Future<?> outcome;
      try {
        outcome = handler.apply(message);
      } catch (RuntimeException e) {
        outcome = Future.failedFuture(e);
      }
      Replies.replyWith(message, outcome);
    });
    return consumer.completion();
  }

  /**
   * {view, spec, quota?}: a new job as accepted. With a {@code quota} (a requestor's job), it is
   * inserted only if its submitter stays within it ({@link JobQuota}), else fails with 429.
   */
  private Future<?> insertJob(Message<JsonObject> message) {
    JsonObject view = message.body().getJsonObject("view");
    JsonObject spec = message.body().getJsonObject("spec");
    JsonObject quota = message.body().getJsonObject("quota");
    // {caller, key, attempt}: the job is attached to its Idempotency-Key in the same transaction.
    JsonObject key = message.body().getJsonObject("idempotency");
    String id = view.getString("id");
    Tuple row = JobRows.insert(view, spec);
    if (quota == null && key == null) {
      return writer.preparedQuery(SqlQueries.INSERT_JOB).execute(row).map(rows -> id);
    }
    return Transactions.inTransaction(writer, dialect, conn -> (key == null ? Future.<Void>succeededFuture()
            : IdempotencyStore.created(conn, key, id))
        .compose(held -> quota == null ? Future.<Void>succeededFuture()
            : JobQuota.check(conn, view.getString("submittedBy"), quota))
        .compose(within -> conn.preparedQuery(SqlQueries.INSERT_JOB).execute(row))).map(rows -> id);
  }

  private void sweepKeys() {
    idempotency.sweep().onFailure(err -> LOG.log(System.Logger.Level.WARNING, "idempotency key sweep failed: "
        + err.getMessage())).onSuccess(n -> {
          if (n > 0) {
            LOG.log(System.Logger.Level.INFO, "swept " + n + " idempotency keys older than a day");
          }
        });
  }

  /**
   * A partial job view with {@code id}: the fields that changed. A scheduler's update carries its
   * fence ({@link LeaseStore#inTransaction}); a final status is written once: to a job not yet
   * finished (answers 0 rows otherwise).
   */
  private Future<?> updateJob(Message<JsonObject> message) {
    JobRows.Statement update = JobRows.update(message.body());
    if (update == null) {
      return Future.succeededFuture(0);
    }
    Long fence = LeaseStore.fenceOf(message);
    if (fence == null) {
      return writer.preparedQuery(update.sql()).execute(update.params()).map(RowSet::rowCount);
    }
    return lease.inTransaction(fence, conn -> conn.preparedQuery(update.sql()).execute(update.params()))
        .map(RowSet::rowCount);
  }

  /** Deletes the row (its result rows go with it) and then the job's files: result and materialised inputs. */
  private Future<?> deleteJob(Message<JsonObject> message) {
    String id = message.body().getString("id");
    return reader.preparedQuery(SqlQueries.GET_RESULT_FILE).execute(Tuple.of(id)).compose(found -> {
      String recorded = found.size() == 0 ? null : found.iterator().next().getString("path");
      return writer.preparedQuery(SqlQueries.DELETE_JOB).execute(Tuple.of(id)).compose(rows -> vertx.executeBlocking(
          () -> ResultFiles.deleteJobFiles(storageDir, id, recorded), false).map(files -> rows.rowCount()));
    });
  }

  private Future<?> getJob(Message<JsonObject> message) {
    String id = message.body().getString("id");
    String part = message.body().getString("part", "view");
    if (part.equals("timeline")) {
      return reader.preparedQuery(SqlQueries.GET_JOB_TIMELINE).execute(Tuple.of(id)).map(rows -> {
        String timeline = single(rows, id).getString("timeline");
        return timeline == null ? new JsonArray() : new JsonArray(timeline);
      });
    }
    if (part.equals("owner")) {
      return reader.preparedQuery(SqlQueries.GET_JOB_OWNER).execute(Tuple.of(id))
          .map(rows -> single(rows, id)).map(row -> new JsonObject().put("submittedBy", row.getString("submitted_by"))
              .put("acceptedBy", row.getString("accepted_by")));
    }
    if (part.equals("spec")) {
      return reader.preparedQuery(SqlQueries.GET_JOB_SPEC).execute(Tuple.of(id))
          .map(rows -> new JsonObject(single(rows, id).getString("spec")));
    }
    return reader.preparedQuery(SqlQueries.GET_JOB).execute(Tuple.of(id)).map(rows -> JobRows.toView(single(rows, id)));
  }

  private static Row single(RowSet<Row> rows, String id) {
    if (rows.size() == 0) {
      throw ApiError.notFound("no job with id " + id);
    }
    return rows.iterator().next();
  }

  private Future<?> listJobs(Message<JsonObject> message) {
    int limit = message.body().getInteger("limit", 20);
    int offset = message.body().getInteger("offset", 0);
    // {submittedBy}: one submitter's jobs only (a requestor's own history), and their total.
    String submitter = message.body().getString("submittedBy");
    Future<RowSet<Row>> page = submitter == null
        ? reader.preparedQuery(SqlQueries.LIST_JOBS).execute(Tuple.of(limit, offset))
        : reader.preparedQuery(SqlQueries.LIST_JOBS_OF).execute(Tuple.of(submitter, limit, offset));
    Future<RowSet<Row>> count = submitter == null ? reader.query(SqlQueries.COUNT_JOBS).execute()
        : reader.preparedQuery(SqlQueries.COUNT_JOBS_OF).execute(Tuple.of(submitter));
    return Future.all(page, count).map(v -> {
      JsonArray jobs = new JsonArray();
      page.result().forEach(row -> jobs.add(JobRows.toView(row)));
      long total = count.result().iterator().next().getLong("total");
      return new JsonObject().put("jobs", jobs).put("total", total).put("limit", limit).put("offset", offset);
    });
  }

  private Future<?> unfinishedJobs(Message<JsonObject> message) {
    return reader.query(SqlQueries.UNFINISHED_JOBS).execute().map(rows -> {
      JsonArray jobs = new JsonArray();
      rows.forEach(row -> jobs.add(new JsonObject().put("view", JobRows.toView(row))
          .put("spec", new JsonObject(row.getString("spec")))));
      return jobs;
    });
  }

  /**
   * Body: the result matrix; header {@code jobId}. C is written to {@code <storage.dir>/results/<jobId>.f32}
   * on a worker thread (never an event loop); the database records its shape, size, hash and path.
   */
  private Future<?> saveResult(Message<Matrix> message) {
    String jobId = message.headers().get("jobId");
    Matrix c = message.body();
    String recorded = ResultFiles.relativePath(jobId);
    java.nio.file.Path file = ResultFiles.resolve(storageDir, recorded);
    Long fence = LeaseStore.fenceOf(message);
    // "checkpointed": every chunk of C is in the job's forced checkpoint part file, which can become the result.
    boolean checkpointed = "true".equals(message.headers().get("checkpointed"));
    return vertx.executeBlocking(() -> {
      String adopted = checkpointed ? ResultFiles.adopt(brain.checkpoint.ChunkLog.partFile(storageDir, jobId), c, file) : null;
      return adopted != null ? adopted : ResultFiles.write(c, file);
    }, false)
        .compose(sha -> lease.inTransaction(fence, conn -> conn.preparedQuery(SqlQueries.SAVE_RESULT_FILE)
            .execute(Tuple.of(jobId, c.rows(), c.cols(), (long) c.rows() * c.cols() * 4, sha, recorded))
            .compose(rows -> conn.preparedQuery(SqlQueries.DELETE_RESULT_BLOB).execute(Tuple.of(jobId)))))
        .map(rows -> jobId);
  }

  /** A file result answers its metadata and absolute path; a blob from before schema 5 answers the Matrix. */
  private Future<?> getResult(Message<JsonObject> message) {
    String id = message.body().getString("id");
    return reader.preparedQuery(SqlQueries.GET_RESULT_FILE).execute(Tuple.of(id)).compose(files -> {
      if (files.size() > 0) {
        Row row = files.iterator().next();
        return Future.succeededFuture(new JsonObject().put("rows", row.getInteger("rows")).put("cols", row.getInteger("cols"))
            .put("bytes", row.getLong("bytes")).put("sha256", row.getString("sha256"))
            .put("file", ResultFiles.resolve(storageDir, row.getString("path")).toString()));
      }
      return reader.preparedQuery(SqlQueries.GET_RESULT).execute(Tuple.of(id)).compose(rows -> {
        if (rows.size() == 0) {
          return Future.failedFuture(ApiError.notFound("no stored result for job " + id));
        }
        Row row = rows.iterator().next();
        int r = row.getInteger("rows");
        int c = row.getInteger("cols");
        byte[] bytes = row.getBuffer("data").getBytes();
        return vertx.executeBlocking(() -> new Matrix(r, c, Float32Codec.fromBytes(bytes)), false);
      });
    });
  }

  private Future<?> stats(Message<JsonObject> message) {
    return reader.query(SqlQueries.JOB_COUNTS_BY_STATUS).execute().map(rows -> {
      JsonObject counts = new JsonObject();
      rows.forEach(row -> counts.put(row.getString("status"), row.getLong("n")));
      return counts.put("writes", writes);
    });
  }
}
