package brain.integration;

import brain.testing.Postgres;
import brain.testing.TestGrid;
import java.util.Map;

/** CreditTest's cases on a real server whose database is PostgreSQL (the one scripts/test starts). */
class PostgresCreditTest extends CreditTest {
  @Override
  TestGrid startGrid() {
    return TestGrid.start(Map.of("db.url", Postgres.freshDatabaseUrl()));
  }
}
