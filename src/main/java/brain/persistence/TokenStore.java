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
 * The {@code tokens} table, for {@link PersistenceVerticle} (which owns the pools). Tokens are
 * looked up by their hash; no answer of this class ever carries a hash, let alone a token.
 */
final class TokenStore {
  private final Pool writer;
  private final Pool reader;

  TokenStore(Pool writer, Pool reader) {
    this.writer = writer;
    this.reader = reader;
  }

  /** {hash} → {name, role, quotas}; 404 when no token has that hash. */
  Future<JsonObject> get(JsonObject body) {
    return reader.preparedQuery(SqlQueries.GET_TOKEN).execute(Tuple.of(body.getString("hash"))).map(rows -> {
      if (rows.size() == 0) {
        throw ApiError.notFound("no such token");
      }
      Row row = rows.iterator().next();
      return new JsonObject().put("name", row.getString("name")).put("role", row.getString("role"))
          .put("quotas", quotas(row));
    });
  }

  /** {name, role, hash, quotas?} → {name, role, createdAt}; 409 when the name is taken. */
  Future<JsonObject> create(JsonObject body) {
    String name = body.getString("name");
    String now = Times.now();
    JsonObject quotas = body.getJsonObject("quotas");
    Tuple params = Tuple.of(name, body.getString("role"), body.getString("hash"), now)
        .addValue(quotas == null ? null : quotas.encode());
    return writer.preparedQuery(SqlQueries.INSERT_TOKEN).execute(params).map(rows -> {
      if (rows.rowCount() == 0) {
        throw ApiError.conflict("a token named '" + name + "' exists already; revoke it first or choose another name");
      }
      return new JsonObject().put("name", name).put("role", body.getString("role")).put("createdAt", now);
    });
  }

  /** {name, role, hash}: creates the row or gives it a new hash and role (the admin token at startup). */
  Future<Integer> put(JsonObject body) {
    return writer.preparedQuery(SqlQueries.PUT_TOKEN)
        .execute(Tuple.of(body.getString("name"), body.getString("role"), body.getString("hash"), Times.now()))
        .map(RowSet::rowCount);
  }

  Future<JsonArray> list() {
    return reader.query(SqlQueries.LIST_TOKENS).execute().map(rows -> {
      JsonArray tokens = new JsonArray();
      rows.forEach(row -> tokens.add(new JsonObject()
          .put("name", row.getString("name"))
          .put("role", row.getString("role"))
          .put("createdAt", row.getString("created_at"))
          .put("lastUsedAt", row.getString("last_used_at"))
          .put("quotas", quotas(row))));
      return tokens;
    });
  }

  /** {name} → 1; 404 for an unknown name. */
  Future<Integer> delete(JsonObject body) {
    String name = body.getString("name");
    return writer.preparedQuery(SqlQueries.DELETE_TOKEN).execute(Tuple.of(name)).map(rows -> {
      if (rows.rowCount() == 0) {
        throw ApiError.notFound("no token named '" + name + "'");
      }
      return rows.rowCount();
    });
  }

  Future<Integer> touch(JsonObject body) {
    return writer.preparedQuery(SqlQueries.TOUCH_TOKEN).execute(Tuple.of(body.getString("at"), body.getString("name")))
        .map(RowSet::rowCount);
  }

  Future<JsonObject> admins() {
    return reader.query(SqlQueries.COUNT_ADMINS).execute()
        .map(rows -> new JsonObject().put("admins", rows.iterator().next().getLong("n")));
  }

  /** The row's own quotas (JSON text), or null when it has none (the defaults apply). */
  private static JsonObject quotas(Row row) {
    String text = row.getString("quotas");
    return text == null || text.isBlank() ? null : new JsonObject(text);
  }
}
