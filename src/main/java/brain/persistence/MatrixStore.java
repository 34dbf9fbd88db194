package brain.persistence;

import brain.model.ApiError;
import brain.model.Times;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The {@code matrices} and {@code matrix_owners} tables, for {@link PersistenceVerticle} (which
 * owns the pools). A matrix is stored once (its id comes from its content) and owned by every
 * requestor who uploaded it; one not owned by the caller answers exactly like an unknown id.
 */
final class MatrixStore {
  private final Pool writer;
  private final Pool reader;
  private final Dialect dialect;

  MatrixStore(Pool writer, Pool reader, Dialect dialect) {
    this.writer = writer;
    this.reader = reader;
    this.dialect = dialect;
  }

  /** The 404 of an unknown matrix, shared by matrices a caller does not own (the answers must not differ). */
  static String noSuchMatrix(String id) {
    return "no matrix with id " + id;
  }

  /** {id, rows, cols, bytes, sha256, owner} → the matrix and {newOwner}: inserted or ignored, in one transaction. */
  Future<JsonObject> record(JsonObject body) {
    String id = body.getString("id");
    String owner = body.getString("owner");
    String now = Times.now();
    Tuple matrix = Tuple.of(id, body.getInteger("rows"), body.getInteger("cols"), body.getLong("bytes"),
        body.getString("sha256"), now);
    return Transactions.inTransaction(writer, dialect, conn -> conn.preparedQuery(SqlQueries.INSERT_MATRIX).execute(matrix)
        .compose(v -> conn.preparedQuery(SqlQueries.INSERT_MATRIX_OWNER).execute(Tuple.of(id, owner, now)))
        .map(RowSet::rowCount))
        .map(added -> new JsonObject().put("id", id).put("rows", body.getInteger("rows"))
            .put("cols", body.getInteger("cols")).put("bytes", body.getLong("bytes"))
            .put("sha256", body.getString("sha256")).put("newOwner", added > 0));
  }

  /** {id, owner?}: the matrix if it exists and (owner given) that owner has it; else 404. */
  Future<JsonObject> get(JsonObject body) {
    String id = body.getString("id");
    String owner = body.getString("owner");
    Future<RowSet<Row>> rows = owner == null ? reader.preparedQuery(SqlQueries.GET_MATRIX).execute(Tuple.of(id))
        : reader.preparedQuery(SqlQueries.GET_OWNED_MATRIX).execute(Tuple.of(id, owner));
    return rows.map(found -> {
      if (found.size() == 0) {
        throw ApiError.notFound(noSuchMatrix(id));
      }
      return toJson(found.iterator().next());
    });
  }

  /** {owner?}: that owner's matrices (with when it uploaded each), or all (owner null). */
  Future<JsonArray> list(JsonObject body) {
    String owner = body.getString("owner");
    Future<RowSet<Row>> rows = owner == null ? reader.query(SqlQueries.LIST_MATRICES).execute()
        : reader.preparedQuery(SqlQueries.LIST_MATRICES_OF).execute(Tuple.of(owner));
    return rows.map(found -> {
      JsonArray list = new JsonArray();
      found.forEach(row -> list.add(toJson(row)));
      return list;
    });
  }

  /**
   * {id, owner, admin}: refuses (409) while a queued or running job uses the matrix; otherwise
   * removes the owner's ownership (an admin who does not own it removes everyone's), and the
   * matrix row when no owner is left. Answers {id, removed}: removed true means the file may go.
   */
  Future<JsonObject> release(JsonObject body) {
    String id = body.getString("id");
    String owner = body.getString("owner");
    boolean admin = body.getBoolean("admin", false);
    return Transactions.inTransaction(writer, dialect, conn -> conn.preparedQuery(SqlQueries.GET_MATRIX).execute(Tuple.of(id))
        .compose(matrix -> {
          if (matrix.size() == 0) {
            throw ApiError.notFound(noSuchMatrix(id));
          }
          return conn.preparedQuery(SqlQueries.GET_OWNED_MATRIX).execute(Tuple.of(id, owner));
        })
        .compose(owned -> {
          if (owned.size() == 0 && !admin) {
            throw ApiError.notFound(noSuchMatrix(id));
          }
          return conn.preparedQuery(SqlQueries.jobsUsingMatrix(dialect)).execute(Tuple.of(id, id)).compose(jobs -> {
            if (jobs.size() > 0) {
              StringBuilder ids = new StringBuilder();
              jobs.forEach(row -> ids.append(ids.length() == 0 ? "" : ", ").append(row.getString("id")));
              throw ApiError.conflict("matrix " + id + " is used by a queued or running job (" + ids
                  + "); delete it once that job has ended, or cancel the job");
            }
            return owned.size() > 0
                ? conn.preparedQuery(SqlQueries.DELETE_MATRIX_OWNER).execute(Tuple.of(id, owner))
                : conn.preparedQuery(SqlQueries.DELETE_MATRIX_OWNERS).execute(Tuple.of(id));
          });
        })
        .compose(deleted -> conn.preparedQuery(SqlQueries.COUNT_MATRIX_OWNERS).execute(Tuple.of(id)))
        .compose(count -> {
          if (count.iterator().next().getLong("n") > 0) {
            return Future.succeededFuture(false);
          }
          return conn.preparedQuery(SqlQueries.DELETE_MATRIX).execute(Tuple.of(id)).map(true);
        }))
        .map(removed -> new JsonObject().put("id", id).put("removed", removed));
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject().put("id", row.getString("id")).put("rows", row.getInteger("rows"))
        .put("cols", row.getInteger("cols")).put("bytes", row.getLong("bytes")).put("sha256", row.getString("sha256"))
        .put("createdAt", row.getString("created_at"));
  }
}
