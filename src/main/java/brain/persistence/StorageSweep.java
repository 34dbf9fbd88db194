package brain.persistence;

import brain.matrix.MatrixFiles;
import brain.model.Times;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Retention, in three steps run one after the other. With {@code storage.keepResultsDays} N &gt; 0,
 * the results (file and row, or blob) and materialised inputs of jobs finished more than N days
 * ago are deleted (the job rows stay, as history). Always: uploaded matrices no owner holds and
 * no job names are deleted, and so are {@code .f32} files under storage.dir that no row names
 * (orphans; only files older than {@code storage.orphanMinAgeMs}, so an upload in progress is
 * never taken). File work runs on a worker thread.
 */
final class StorageSweep {
  private static final System.Logger LOG = System.getLogger(StorageSweep.class.getName());
  /** Files younger than this are never orphans: an upload's file exists a moment before its row. */
  static final long ORPHAN_MIN_AGE_MS = 10 * 60_000L;

  private final Vertx vertx;
  private final Pool writer;
  private final Pool reader;
  private final Path storageDir;
  private final int keepResultsDays;
  private final long orphanMinAgeMs;
  private final Dialect dialect;

  StorageSweep(Vertx vertx, Pool writer, Pool reader, Dialect dialect, Path storageDir, int keepResultsDays,
      long orphanMinAgeMs) {
    this.dialect = dialect;
    this.vertx = vertx;
    this.writer = writer;
    this.reader = reader;
    this.storageDir = storageDir;
    this.keepResultsDays = keepResultsDays;
    this.orphanMinAgeMs = orphanMinAgeMs;
  }

  /** Answers counts of what was deleted: expiredResults, expiredFiles, unreferencedMatrices, orphanFiles. */
  Future<JsonObject> run() {
    JsonObject report = new JsonObject();
    return expireResults(report)
        .compose(v -> dropUnreferencedMatrices(report))
        .compose(v -> deleteOrphans())
        .map(orphans -> report.put("orphanFiles", orphans))
        .onFailure(err -> LOG.log(System.Logger.Level.WARNING, "storage sweep failed: " + err.getMessage()));
  }

  private Future<Void> expireResults(JsonObject report) {
    if (keepResultsDays <= 0) {
      return Future.succeededFuture();
    }
    Tuple cutoff = Tuple.of(Times.iso(System.currentTimeMillis() - keepResultsDays * 86_400_000L));
    Future<RowSet<Row>> files = reader.preparedQuery(SqlQueries.EXPIRED_RESULT_FILES).execute(cutoff);
    Future<RowSet<Row>> blobs = reader.preparedQuery(SqlQueries.EXPIRED_RESULT_BLOBS).execute(cutoff);
    Future<RowSet<Row>> finished = reader.preparedQuery(SqlQueries.EXPIRED_INPUT_JOBS).execute(cutoff);
    return Future.all(files, blobs, finished).compose(all -> {
      List<Tuple> jobIds = new ArrayList<>();
      List<String[]> paths = new ArrayList<>();
      files.result().forEach(r -> {
        jobIds.add(Tuple.of(r.getString("job_id")));
        paths.add(new String[] {r.getString("job_id"), r.getString("path")});
      });
      blobs.result().forEach(r -> jobIds.add(Tuple.of(r.getString("job_id"))));
      List<String> inputs = new ArrayList<>();
      finished.result().forEach(r -> inputs.add(r.getString("id")));
      report.put("expiredResults", jobIds.size());
      Future<?> rows = jobIds.isEmpty() ? Future.succeededFuture()
          : writer.preparedQuery(SqlQueries.DELETE_RESULT_FILE_ROW).executeBatch(jobIds)
              .compose(v -> writer.preparedQuery(SqlQueries.DELETE_RESULT_BLOB).executeBatch(jobIds));
      return rows.compose(v -> vertx.executeBlocking(() -> deleteExpiredFiles(paths, inputs), false))
          .map(n -> {
            report.put("expiredFiles", n);
            return null;
          });
    });
  }

  private int deleteExpiredFiles(List<String[]> paths, List<String> inputJobs) {
    int n = 0;
    for (String[] p : paths) {
      n += ResultFiles.deleteQuietly(ResultFiles.resolve(storageDir, p[1])) ? 1 : 0;
      n += ResultFiles.deleteQuietly(ResultFiles.resultFile(storageDir, p[0])) ? 1 : 0;
    }
    for (String job : inputJobs) {
      n += ResultFiles.deleteQuietly(ResultFiles.inputFile(storageDir, job, "a")) ? 1 : 0;
      n += ResultFiles.deleteQuietly(ResultFiles.inputFile(storageDir, job, "b")) ? 1 : 0;
    }
    return n;
  }

  private Future<Void> dropUnreferencedMatrices(JsonObject report) {
    return reader.query(SqlQueries.unreferencedMatrices(dialect)).execute().compose(rows -> {
      List<Tuple> ids = new ArrayList<>();
      rows.forEach(r -> ids.add(Tuple.of(r.getString("id"))));
      report.put("unreferencedMatrices", ids.size());
      if (ids.isEmpty()) {
        return Future.succeededFuture();
      }
      return writer.preparedQuery(SqlQueries.DELETE_MATRIX).executeBatch(ids).compose(d -> vertx.executeBlocking(() -> {
        ids.forEach(t -> ResultFiles.deleteQuietly(storageDir.resolve(t.getString(0) + MatrixFiles.SUFFIX)));
        return null;
      }, false)).mapEmpty();
    });
  }

  private Future<Integer> deleteOrphans() {
    Future<RowSet<Row>> matrices = reader.query(SqlQueries.ALL_MATRIX_IDS).execute();
    Future<RowSet<Row>> results = reader.query(SqlQueries.ALL_RESULT_PATHS).execute();
    Future<RowSet<Row>> jobs = reader.query(SqlQueries.ALL_JOB_IDS).execute();
    return Future.all(matrices, results, jobs).compose(all -> {
      Set<String> matrixIds = new HashSet<>();
      Set<String> resultFiles = new HashSet<>();
      Set<String> jobIds = new HashSet<>();
      matrices.result().forEach(r -> matrixIds.add(r.getString("id")));
      results.result().forEach(r -> resultFiles.add(absolute(ResultFiles.resolve(storageDir, r.getString("path")))));
      jobs.result().forEach(r -> jobIds.add(r.getString("id")));
      return vertx.executeBlocking(() -> {
        int n = ResultFiles.deleteOrphans(storageDir, stem -> !matrixIds.contains(stem), orphanMinAgeMs);
        Path resultsDir = storageDir.resolve("results");
        n += ResultFiles.deleteOrphans(resultsDir,
            stem -> !resultFiles.contains(absolute(resultsDir.resolve(stem + MatrixFiles.SUFFIX))), orphanMinAgeMs);
        n += ResultFiles.deleteOrphans(storageDir.resolve("inputs"), stem -> ResultFiles.orphanInput(stem, jobIds),
            orphanMinAgeMs);
        return n;
      }, false);
    });
  }

  private static String absolute(Path path) {
    return path.toAbsolutePath().normalize().toString();
  }
}
