package brain.persistence;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Postgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The persistence contract on a real PostgreSQL (the one scripts/test starts), a new database per
 * test, plus what PostgreSQL's schema must get right.
 */
class PostgresPersistenceTest extends PersistenceContract {
  @Override
  String freshDatabase() {
    return Postgres.freshDatabaseUrl();
  }

  @Test
  @DisplayName("64-bit columns are BIGINT, fractions DOUBLE PRECISION, the old result blobs BYTEA")
  void columnTypes() throws Exception {
    try (Connection db = DriverManager.getConnection(url);
         ResultSet types = db.createStatement().executeQuery("SELECT table_name, column_name, data_type FROM "
             + "information_schema.columns WHERE (table_name, column_name) IN (('jobs', 'seed'), ('jobs', 'total_time_ms'), "
             + "('job_results', 'data'), ('chunk_credits', 'multiply_adds'), ('jobs', 'rowid')) ORDER BY 1, 2")) {
      StringBuilder seen = new StringBuilder();
      while (types.next()) {
        seen.append(types.getString(1)).append('.').append(types.getString(2)).append('=').append(types.getString(3)).append(' ');
      }
      assertEquals("chunk_credits.multiply_adds=bigint job_results.data=bytea jobs.rowid=bigint jobs.seed=bigint "
          + "jobs.total_time_ms=double precision ", seen.toString());
    }
  }
}
