package brain.integration;

import brain.testing.Postgres;
import brain.testing.TestGrid;
import java.util.Map;

/** IdempotencyTest's cases on a real server whose database is PostgreSQL (migration 6 and the key store there). */
class PostgresIdempotencyTest extends IdempotencyTest {
  @Override
  TestGrid startGrid() {
    return TestGrid.start(Map.of("db.url", Postgres.freshDatabaseUrl()));
  }
}
