package brain.persistence;

import static brain.bus.Addresses.*;

import brain.bus.Replies;
import brain.config.BrainConfig;
import brain.model.ApiError;
import brain.model.Float32Codec;
import brain.model.Matrix;
import brain.model.Times;
import brain.model.WorkerLabel;
import brain.model.Work;
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
import java.util.ArrayList;
import java.util.List;

/**
 * The only code that touches the database. JDBC is blocking: the Vert.x JDBC client runs every
 * statement on a worker thread. SQLite takes one writer at a time, so all writes go through a
 * pool of exactly one connection (no "database is locked" between our own writes); reads use
 * a separate small pool, which WAL mode lets run beside the writer.
 */
public final class PersistenceVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(PersistenceVerticle.class.getName());

  /** Addresses whose messages write to the database: counted, so floods can be shown to cost no writes. */
  private static final java.util.Set<String> WRITES = java.util.Set.of(DB_JOB_INSERT, DB_JOB_UPDATE, DB_JOB_DELETE,
      DB_RESULT_SAVE, DB_CREDITS_GRANT, DB_LEADERBOARD_JOINED, DB_TOKEN_CREATE, DB_TOKEN_PUT, DB_TOKEN_DELETE,
      DB_TOKEN_TOUCH, DB_MATRIX_RECORD, DB_MATRIX_RELEASE);

  private Pool writer;
  private Pool reader;
  private TokenStore tokens;
  private MatrixStore matrices;
  private long writes;
  private java.nio.file.Path storageDir;
  private int keepResultsDays;
  private long sweepTimer = -1;
  /** Files younger than this are never orphans: an upload's file exists a moment before its row. */
  static final long ORPHAN_MIN_AGE_MS = 10 * 60_000L;
  private long orphanMinAgeMs = ORPHAN_MIN_AGE_MS;

  @Override
  public Future<?> start() {
    BrainConfig.Reader conf = new BrainConfig.Reader(config());
    String url = DatabaseUrl.prepare(conf.string("db.url"));
    storageDir = java.nio.file.Path.of(conf.string("storage.dir")).toAbsolutePath();
    JsonObject storage = config().getJsonObject("storage", new JsonObject());
    keepResultsDays = storage.getInteger("keepResultsDays", 0);
    orphanMinAgeMs = storage.getLong("orphanMinAgeMs", ORPHAN_MIN_AGE_MS);
    writer = JDBCPool.pool(vertx, new JDBCConnectOptions().setJdbcUrl(url), new PoolOptions().setMaxSize(1));
    reader = JDBCPool.pool(vertx, new JDBCConnectOptions().setJdbcUrl(url), new PoolOptions().setMaxSize(2));
    tokens = new TokenStore(writer, reader);
    matrices = new MatrixStore(writer, reader);
    return Schema.migrate(writer)
        .onSuccess(version -> LOG.log(System.Logger.Level.INFO, "database " + url + " at schema version " + version))
        .compose(v -> Future.all(List.of(
            consume(DB_JOB_INSERT, this::insertJob),
            consume(DB_JOB_UPDATE, this::updateJob),
            consume(DB_JOB_DELETE, this::deleteJob),
            consume(DB_JOB_GET, this::getJob),
            consume(DB_JOB_LIST, this::listJobs),
            consume(DB_JOB_UNFINISHED, this::unfinishedJobs),
            consume(DB_RESULT_SAVE, this::saveResult),
            consume(DB_RESULT_GET, this::getResult),
            consume(DB_STORAGE_SWEEP, m -> sweep()),
            consume(DB_CREDITS_GRANT, this::grantCredits),
            consume(DB_LEADERBOARD_JOINED, this::joined),
            consume(DB_LEADERBOARD_TOP, this::leaderboard),
            consume(DB_LEADERBOARD_STANDING, this::standing),
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
            this.<JsonObject>consume(DB_MATRIX_RELEASE, m -> matrices.release(m.body())))))
        .onSuccess(v -> {
          // Retention: at start, then daily. A failed sweep is logged and retried the next day.
          sweep();
          sweepTimer = vertx.setPeriodic(24L * 3600_000L, id -> sweep());
        });
  }

  @Override
  public Future<?> stop() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    return Future.all(writer.close(), reader.close());
  }

  private <T> Future<Void> consume(String address, java.util.function.Function<Message<T>, Future<?>> handler) {
    boolean write = WRITES.contains(address);
    MessageConsumer<T> consumer = vertx.eventBus().consumer(address, message -> {
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
    Tuple row = JobRows.insert(view, spec);
    if (quota == null) {
      return writer.preparedQuery(SqlQueries.INSERT_JOB).execute(row).map(rows -> view.getString("id"));
    }
    return Transactions.inTransaction(writer, conn -> JobQuota.check(conn, view.getString("submittedBy"), quota)
        .compose(within -> conn.preparedQuery(SqlQueries.INSERT_JOB).execute(row))).map(rows -> view.getString("id"));
  }

  /** A partial job view with {@code id}: the fields that changed. */
  private Future<?> updateJob(Message<JsonObject> message) {
    JobRows.Statement update = JobRows.update(message.body());
    if (update == null) {
      return Future.succeededFuture(0);
    }
    return writer.preparedQuery(update.sql()).execute(update.params()).map(RowSet::rowCount);
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
          .map(rows -> new JsonObject().put("submittedBy", single(rows, id).getString("submitted_by")));
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
    return vertx.executeBlocking(() -> ResultFiles.write(c, file), false)
        .compose(sha -> writer.preparedQuery(SqlQueries.SAVE_RESULT_FILE)
            .execute(Tuple.of(jobId, c.rows(), c.cols(), (long) c.rows() * c.cols() * 4, sha, recorded)))
        .compose(rows -> writer.preparedQuery(SqlQueries.DELETE_RESULT_BLOB).execute(Tuple.of(jobId)))
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

  /**
   * Retention: with {@code storage.keepResultsDays} N &gt; 0, the results (file and row, or blob) and
   * materialised inputs of jobs finished more than N days ago are deleted (the job rows stay, as
   * history). Always: uploaded matrices no owner holds and no job names are deleted, and so are
   * {@code .f32} files under storage.dir that no row names (orphans; only files older than
   * {@code storage.orphanMinAgeMs}, so an upload in progress is never taken). File work runs on
   * a worker thread. Answers counts of what was deleted.
   */
  Future<JsonObject> sweep() {
    JsonObject report = new JsonObject();
    Future<Void> expired = Future.succeededFuture();
    if (keepResultsDays > 0) {
      String cutoff = Times.iso(System.currentTimeMillis() - keepResultsDays * 86_400_000L);
      expired = reader.preparedQuery(SqlQueries.EXPIRED_RESULT_FILES).execute(Tuple.of(cutoff))
          .compose(files -> reader.preparedQuery(SqlQueries.EXPIRED_RESULT_BLOBS).execute(Tuple.of(cutoff))
              .compose(blobs -> reader.preparedQuery(SqlQueries.EXPIRED_INPUT_JOBS).execute(Tuple.of(cutoff))
                  .compose(finished -> {
                    List<Tuple> jobIds = new ArrayList<>();
                    List<String[]> paths = new ArrayList<>();
                    files.forEach(r -> {
                      jobIds.add(Tuple.of(r.getString("job_id")));
                      paths.add(new String[] {r.getString("job_id"), r.getString("path")});
                    });
                    blobs.forEach(r -> jobIds.add(Tuple.of(r.getString("job_id"))));
                    List<String> inputs = new ArrayList<>();
                    finished.forEach(r -> inputs.add(r.getString("id")));
                    report.put("expiredResults", jobIds.size());
                    Future<?> rows = jobIds.isEmpty() ? Future.succeededFuture()
                        : writer.preparedQuery(SqlQueries.DELETE_RESULT_FILE_ROW).executeBatch(jobIds)
                            .compose(v -> writer.preparedQuery(SqlQueries.DELETE_RESULT_BLOB).executeBatch(jobIds));
                    return rows.compose(v -> vertx.executeBlocking(() -> {
                      int n = 0;
                      for (String[] p : paths) {
                        n += ResultFiles.deleteQuietly(ResultFiles.resolve(storageDir, p[1])) ? 1 : 0;
                        n += ResultFiles.deleteQuietly(ResultFiles.resultFile(storageDir, p[0])) ? 1 : 0;
                      }
                      for (String job : inputs) {
                        n += ResultFiles.deleteQuietly(ResultFiles.inputFile(storageDir, job, "a")) ? 1 : 0;
                        n += ResultFiles.deleteQuietly(ResultFiles.inputFile(storageDir, job, "b")) ? 1 : 0;
                      }
                      return n;
                    }, false)).map(n -> {
                      report.put("expiredFiles", n);
                      return (Void) null;
                    });
                  })));
    }
    Future<Void> unreferenced = expired.compose(v -> reader.query(SqlQueries.UNREFERENCED_MATRICES).execute())
        .compose(rows -> {
          List<Tuple> ids = new ArrayList<>();
          rows.forEach(r -> ids.add(Tuple.of(r.getString("id"))));
          report.put("unreferencedMatrices", ids.size());
          if (ids.isEmpty()) {
            return Future.succeededFuture();
          }
          return writer.preparedQuery(SqlQueries.DELETE_MATRIX).executeBatch(ids).compose(d -> vertx.executeBlocking(() -> {
            ids.forEach(t -> ResultFiles.deleteQuietly(storageDir.resolve(t.getString(0) + brain.matrix.MatrixFiles.SUFFIX)));
            return null;
          }, false)).mapEmpty();
        });
    return unreferenced.compose(v -> Future.all(reader.query(SqlQueries.ALL_MATRIX_IDS).execute(),
        reader.query(SqlQueries.ALL_RESULT_PATHS).execute(), reader.query(SqlQueries.ALL_JOB_IDS).execute()))
        .compose(all -> {
          java.util.Set<String> matrixIds = new java.util.HashSet<>();
          java.util.Set<String> resultFiles = new java.util.HashSet<>();
          java.util.Set<String> jobIds = new java.util.HashSet<>();
          all.<RowSet<Row>>resultAt(0).forEach(r -> matrixIds.add(r.getString("id")));
          all.<RowSet<Row>>resultAt(1).forEach(r -> resultFiles.add(
              ResultFiles.resolve(storageDir, r.getString("path")).toAbsolutePath().normalize().toString()));
          all.<RowSet<Row>>resultAt(2).forEach(r -> jobIds.add(r.getString("id")));
          long minAge = orphanMinAgeMs;
          return vertx.executeBlocking(() -> {
            int n = ResultFiles.deleteOrphans(storageDir, stem -> !matrixIds.contains(stem), minAge);
            java.nio.file.Path results = storageDir.resolve("results");
            n += ResultFiles.deleteOrphans(results, stem -> !resultFiles.contains(
                results.resolve(stem + brain.matrix.MatrixFiles.SUFFIX).toAbsolutePath().normalize().toString()), minAge);
            n += ResultFiles.deleteOrphans(storageDir.resolve("inputs"), stem -> ResultFiles.orphanInput(stem, jobIds), minAge);
            return n;
          }, false);
        })
        .map(orphans -> report.put("orphanFiles", orphans))
        .onFailure(err -> LOG.log(System.Logger.Level.WARNING, "storage sweep failed: " + err.getMessage()));
  }

  /**
   * Credits a job's verified chunks, in one transaction: one chunk_credits row per chunk, and
   * each worker's totals. A job is credited whole and once: a repeat (a restart, a replayed
   * message, a failover) finds its rows and changes nothing.
   */
  private Future<?> grantCredits(Message<JsonObject> message) {
    String jobId = message.body().getString("jobId");
    JsonArray chunks = message.body().getJsonArray("chunks", new JsonArray());
    if (jobId == null || chunks.isEmpty()) {
      return Future.succeededFuture(new JsonObject().put("granted", 0));
    }
    String now = Times.now();
    List<Tuple> rows = new ArrayList<>();
    java.util.Map<String, double[]> totals = new java.util.LinkedHashMap<>(); // computeMs, tasks, multiplyAdds, sessions
    java.util.Map<String, String> names = new java.util.HashMap<>();
    for (int i = 0; i < chunks.size(); i++) {
      JsonObject c = chunks.getJsonObject(i);
      String workerId = c.getString("workerId");
      rows.add(Tuple.of(jobId, c.getInteger("chunk"), workerId, c.getLong("multiplyAdds"), c.getDouble("computeMs"), now));
      double[] t = totals.computeIfAbsent(workerId, w -> new double[4]);
      t[3] = Math.max(t[3], c.getInteger("sessions", 1));
      t[0] += c.getDouble("computeMs");
      t[1] += 1;
      t[2] += c.getLong("multiplyAdds");
      names.put(workerId, c.getString("name"));
    }
    List<Tuple> workers = new ArrayList<>();
    totals.forEach((workerId, t) -> workers.add(
        Tuple.of(workerId, names.get(workerId), t[0], (long) t[1], (long) t[3], now, (long) t[2])));
    return Transactions.inTransaction(writer, conn -> conn.preparedQuery(SqlQueries.JOB_CREDITED)
        .execute(Tuple.of(jobId))
        .compose(found -> found.size() > 0 ? Future.succeededFuture(0)
            : conn.preparedQuery(SqlQueries.INSERT_CHUNK_CREDIT).executeBatch(rows)
                .compose(v -> conn.preparedQuery(SqlQueries.CREDIT_WORKER).executeBatch(workers))
                .map(v -> rows.size())))
        .map(granted -> new JsonObject().put("granted", granted));
  }

  /** {joins: [{workerId, name, sessions}]}: counts sessions on existing rows only. */
  private Future<?> joined(Message<JsonObject> message) {
    JsonArray joins = message.body().getJsonArray("joins", new JsonArray());
    if (joins.isEmpty()) {
      return Future.succeededFuture(0);
    }
    String now = Times.now();
    List<Tuple> batch = new ArrayList<>();
    for (int i = 0; i < joins.size(); i++) {
      JsonObject join = joins.getJsonObject(i);
      batch.add(Tuple.of(join.getInteger("sessions"), join.getString("name"), now, join.getString("workerId")));
    }
    return writer.preparedQuery(SqlQueries.WORKER_JOINED).executeBatch(batch).map(rows -> batch.size());
  }

  private Future<?> leaderboard(Message<JsonObject> message) {
    int limit = message.body().getInteger("limit", 10);
    return reader.preparedQuery(SqlQueries.LEADERBOARD_TOP).execute(Tuple.of(limit)).map(rows -> {
      JsonArray entries = new JsonArray();
      int rank = 0;
      for (Row row : rows) {
        entries.add(new JsonObject()
            .put("rank", ++rank)
            .put("label", WorkerLabel.of(row.getString("worker_id")))
            .put("name", row.getString("display_name"))
            .put("gflop", Work.gflop(row.getLong("verified_multiply_adds")))
            .put("totalComputeMs", row.getDouble("total_compute_ms"))
            .put("tasksCompleted", row.getLong("tasks_completed"))
            .put("sessionsJoined", row.getLong("sessions_joined"))
            .put("lastSeen", row.getString("last_seen")));
      }
      return entries;
    });
  }

  private Future<?> standing(Message<JsonObject> message) {
    JsonArray ids = message.body().getJsonArray("workerIds", new JsonArray());
    if (ids.isEmpty() || ids.size() > 500) {
      return Future.succeededFuture(new JsonObject());
    }
    return reader.preparedQuery(SqlQueries.leaderboardStanding(ids.size())).execute(Tuple.tuple(ids.getList()))
        .map(rows -> {
          JsonObject standing = new JsonObject();
          rows.forEach(row -> standing.put(row.getString("worker_id"), new JsonObject()
              .put("rank", row.getLong("rank"))
              .put("totalComputeMs", row.getDouble("total_compute_ms"))
              .put("gflop", Work.gflop(row.getLong("verified_multiply_adds")))
              .put("tasksCompleted", row.getLong("tasks_completed"))));
          return standing;
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
