package brain.persistence;

import java.util.List;

/**
 * Every SQL statement of the application, in SQL that SQLite and PostgreSQL both run ({@code ?}
 * placeholders only); what differs between them is in {@link Dialect}.
 */
final class SqlQueries {
  private SqlQueries() {}

  /**
   * Schema migrations, in order; {@code schema_version} records how many have run. Fractional
   * columns are declared DOUBLE, not REAL: JDBC maps REAL to float32 and would round them.
   */
  static final List<List<String>> MIGRATIONS = List.of(
      List.of(
          """
          CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            rows_a INTEGER NOT NULL,
            cols_a INTEGER NOT NULL,
            cols_b INTEGER NOT NULL,
            workers_used INTEGER NOT NULL DEFAULT 0,
            chunks_count INTEGER NOT NULL DEFAULT 0,
            total_time_ms DOUBLE,
            avg_chunk_time_ms DOUBLE,
            throughput_mops DOUBLE,
            efficiency_ratio DOUBLE,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
            seed INTEGER NOT NULL,
            verify_mode TEXT NOT NULL,
            chunk_rows INTEGER,
            spec TEXT NOT NULL,
            replay_of TEXT,
            started_at TEXT,
            completed_at TEXT,
            chunks_done INTEGER NOT NULL DEFAULT 0,
            compute_time_ms DOUBLE,
            network_time_ms DOUBLE,
            transfer_time_ms DOUBLE,
            bytes_transferred INTEGER,
            verification_method TEXT,
            verification_passed INTEGER,
            verification_max_abs_error DOUBLE,
            error TEXT,
            timeline TEXT
          )""",
          "CREATE INDEX jobs_by_created_at ON jobs (created_at DESC)",
          "CREATE INDEX jobs_by_status ON jobs (status)",
          """
          CREATE TABLE job_results (
            job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            rows INTEGER NOT NULL,
            cols INTEGER NOT NULL,
            data BLOB NOT NULL
          )""",
          """
          CREATE TABLE leaderboard (
            worker_id TEXT PRIMARY KEY,
            display_name TEXT,
            total_compute_ms DOUBLE NOT NULL DEFAULT 0,
            tasks_completed INTEGER NOT NULL DEFAULT 0,
            sessions_joined INTEGER NOT NULL DEFAULT 0,
            last_seen TEXT
          )"""),
      // 2: credit only for verified work, exactly once per (job, chunk); rank by verified work.
      List.of(
          """
          CREATE TABLE chunk_credits (
            job_id TEXT NOT NULL,
            chunk_index INTEGER NOT NULL,
            worker_id TEXT NOT NULL,
            multiply_adds INTEGER NOT NULL,
            compute_ms DOUBLE NOT NULL,
            credited_at TEXT NOT NULL,
            PRIMARY KEY (job_id, chunk_index)
          )""",
          "CREATE INDEX chunk_credits_by_worker ON chunk_credits (worker_id)",
          "ALTER TABLE leaderboard ADD COLUMN verified_multiply_adds INTEGER NOT NULL DEFAULT 0",
          // Rows made by joining alone are not contributors.
          "DELETE FROM leaderboard WHERE tasks_completed = 0"),
      // 3: requestors sign in with tokens (stored only as SHA-256 hashes); every job records who submitted it.
      List.of(
          """
          CREATE TABLE tokens (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('admin', 'requestor')),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            quotas TEXT
          )""",
          "ALTER TABLE jobs ADD COLUMN submitted_by TEXT",
          "CREATE INDEX jobs_by_submitter ON jobs (submitted_by, created_at DESC)"),
      // 4: uploaded matrices (files under storage.dir, named by their content id), owned by the requestors who sent them.
      List.of(
          """
          CREATE TABLE matrices (
            id TEXT PRIMARY KEY,
            rows INTEGER NOT NULL,
            cols INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL
          )""",
          """
          CREATE TABLE matrix_owners (
            matrix_id TEXT NOT NULL,
            owner TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (matrix_id, owner)
          )""",
          "CREATE INDEX matrix_owners_by_owner ON matrix_owners (owner, created_at DESC)"),
      // 5: results as files under storage.dir/results (raw float32); the database keeps their metadata only.
      // Results stored before this migration stay as blobs in job_results and are still served.
      List.of(
          """
          CREATE TABLE job_result_files (
            job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            rows INTEGER,
            cols INTEGER,
            bytes INTEGER,
            sha256 TEXT,
            path TEXT
          )"""),
      // 6: Idempotency-Key on POST /api/jobs and /api/matrices: one row per (caller, key), swept after 24 h.
      List.of(
          """
          CREATE TABLE idempotency_keys (
            caller TEXT NOT NULL,
            idem_key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            attempt TEXT NOT NULL,
            claimed_at BIGINT NOT NULL,
            resource_id TEXT,
            response_status INTEGER,
            response_body TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (caller, idem_key)
          )""",
          "CREATE INDEX idempotency_keys_by_created_at ON idempotency_keys (created_at)"),
      // 7: the node whose API accepted each job.
      List.of("ALTER TABLE jobs ADD COLUMN accepted_by TEXT"),
      // 8: one elected scheduler, through a lease row with an
      // expiry and a fencing number that grows at every change of holder (brain.election).
      List.of(
          """
          CREATE TABLE IF NOT EXISTS scheduler_lease (
            id INTEGER PRIMARY KEY,
            holder TEXT,
            fence BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            lease_ms BIGINT NOT NULL
          )""",
          "INSERT INTO scheduler_lease (id, holder, fence, expires_at, lease_ms) VALUES (1, NULL, 0, 0, 0) "
              + "ON CONFLICT (id) DO NOTHING"));


  static final String DELETE_EXPIRED_IDEMPOTENCY_KEY =
      "DELETE FROM idempotency_keys WHERE caller = ? AND idem_key = ? AND created_at < ?";
  static final String CLAIM_IDEMPOTENCY_KEY = """
      INSERT INTO idempotency_keys (caller, idem_key, fingerprint, attempt, claimed_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (caller, idem_key) DO NOTHING""";
  static final String GET_IDEMPOTENCY_KEY = """
      SELECT fingerprint, attempt, claimed_at, resource_id, response_status, response_body
      FROM idempotency_keys WHERE caller = ? AND idem_key = ?""";
  static final String TAKE_OVER_IDEMPOTENCY_KEY = """
      UPDATE idempotency_keys SET attempt = ?, claimed_at = ?
      WHERE caller = ? AND idem_key = ? AND attempt = ? AND resource_id IS NULL AND response_status IS NULL""";
  /** In a job insert's transaction: 0 rows means another attempt holds the key now (the insert is rolled back). */
  static final String IDEMPOTENCY_KEY_CREATED = """
      UPDATE idempotency_keys SET resource_id = ?
      WHERE caller = ? AND idem_key = ? AND attempt = ? AND resource_id IS NULL""";
  static final String COMPLETE_IDEMPOTENCY_KEY = """
      UPDATE idempotency_keys SET response_status = ?, response_body = ?, resource_id = COALESCE(resource_id, ?)
      WHERE caller = ? AND idem_key = ? AND attempt = ?""";
  static final String RELEASE_IDEMPOTENCY_KEY =
      "DELETE FROM idempotency_keys WHERE caller = ? AND idem_key = ? AND attempt = ? AND response_status IS NULL";
  static final String SWEEP_IDEMPOTENCY_KEYS = "DELETE FROM idempotency_keys WHERE created_at < ?";

  static final String CREATE_SCHEMA_VERSION = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
  static final String SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version";
  static final String RECORD_SCHEMA_VERSION = "INSERT INTO schema_version (version) VALUES (?)";

  static final String INSERT_JOB = """
      INSERT INTO jobs (id, rows_a, cols_a, cols_b, created_at, status, seed, verify_mode, chunk_rows, spec, replay_of,
        submitted_by, accepted_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";
  static final String DELETE_JOB = "DELETE FROM jobs WHERE id = ?";
  static final String JOB_COLUMNS = """
      id, rows_a, cols_a, cols_b, workers_used, chunks_count, total_time_ms, avg_chunk_time_ms, throughput_mops,
      efficiency_ratio, created_at, status, seed, verify_mode, chunk_rows, replay_of, started_at, completed_at,
      chunks_done, compute_time_ms, network_time_ms, transfer_time_ms, bytes_transferred, verification_method, verification_passed,
      verification_max_abs_error, error, submitted_by, accepted_by""";
  static final String GET_JOB = "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ?";
  static final String GET_JOB_TIMELINE = "SELECT timeline FROM jobs WHERE id = ?";
  static final String GET_JOB_SPEC = "SELECT spec FROM jobs WHERE id = ?";
  static final String LIST_JOBS = "SELECT " + JOB_COLUMNS + " FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?";
  static final String COUNT_JOBS = "SELECT COUNT(*) AS total FROM jobs";
  /** One submitter's history (a requestor's own, or an admin's filter); served by jobs_by_submitter. */
  static final String LIST_JOBS_OF = "SELECT " + JOB_COLUMNS
      + " FROM jobs WHERE submitted_by = ? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?";
  static final String COUNT_JOBS_OF = "SELECT COUNT(*) AS total FROM jobs WHERE submitted_by = ?";
  static final String GET_JOB_OWNER = "SELECT submitted_by, accepted_by FROM jobs WHERE id = ?";
  static final String UNFINISHED_JOBS =
      "SELECT " + JOB_COLUMNS + ", spec FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid";
  static final String JOB_COUNTS_BY_STATUS = "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status";

  // ---- quotas of requestor tokens, read inside the insert's transaction so parallel submissions cannot overshoot
  static final String ACTIVE_JOBS_OF =
      "SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running') AND submitted_by = ?";
  static final String STORED_BYTES_OF = """
      SELECT (SELECT COALESCE(SUM(LENGTH(r.data)), 0) FROM job_results r JOIN jobs j ON j.id = r.job_id
        WHERE j.submitted_by = ?)
      + (SELECT COALESCE(SUM(f.bytes), 0) FROM job_result_files f JOIN jobs j ON j.id = f.job_id
        WHERE j.submitted_by = ?) AS bytes""";

  // ---- uploaded matrices: metadata here, values in files named by the id
  static final String INSERT_MATRIX = """
      INSERT INTO matrices (id, rows, cols, bytes, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO NOTHING""";
  static final String INSERT_MATRIX_OWNER = """
      INSERT INTO matrix_owners (matrix_id, owner, created_at) VALUES (?, ?, ?)
      ON CONFLICT (matrix_id, owner) DO NOTHING""";
  static final String GET_MATRIX = "SELECT id, rows, cols, bytes, sha256, created_at FROM matrices WHERE id = ?";
  static final String GET_OWNED_MATRIX = """
      SELECT m.id, m.rows, m.cols, m.bytes, m.sha256, o.created_at FROM matrices m
      JOIN matrix_owners o ON o.matrix_id = m.id WHERE m.id = ? AND o.owner = ?""";
  static final String LIST_MATRICES =
      "SELECT id, rows, cols, bytes, sha256, created_at FROM matrices ORDER BY created_at DESC, id";
  static final String LIST_MATRICES_OF = """
      SELECT m.id, m.rows, m.cols, m.bytes, m.sha256, o.created_at FROM matrices m
      JOIN matrix_owners o ON o.matrix_id = m.id WHERE o.owner = ? ORDER BY o.created_at DESC, m.id""";
  /** Queued or running jobs (of anyone) whose stored spec names the matrix as A or B. */
  static String jobsUsingMatrix(Dialect dialect) {
    return "SELECT id FROM jobs WHERE status IN ('queued', 'running') AND (" + dialect.jsonText("spec", "a") + " = ? OR "
        + dialect.jsonText("spec", "b") + " = ?) LIMIT 5";
  }
  static final String DELETE_MATRIX_OWNER = "DELETE FROM matrix_owners WHERE matrix_id = ? AND owner = ?";
  static final String DELETE_MATRIX_OWNERS = "DELETE FROM matrix_owners WHERE matrix_id = ?";
  static final String COUNT_MATRIX_OWNERS = "SELECT COUNT(*) AS n FROM matrix_owners WHERE matrix_id = ?";
  static final String DELETE_MATRIX = "DELETE FROM matrices WHERE id = ?";

  // ---- tokens: only hashes are stored; nothing here ever returns one
  static final String GET_TOKEN = "SELECT name, role, quotas FROM tokens WHERE token_hash = ?";
  static final String INSERT_TOKEN = """
      INSERT INTO tokens (name, role, token_hash, created_at, quotas) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (name) DO NOTHING""";
  static final String PUT_TOKEN = """
      INSERT INTO tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash""";
  static final String LIST_TOKENS = "SELECT name, role, created_at, last_used_at, quotas FROM tokens ORDER BY name";
  static final String DELETE_TOKEN = "DELETE FROM tokens WHERE name = ?";
  static final String TOUCH_TOKEN = "UPDATE tokens SET last_used_at = ? WHERE name = ?";
  static final String COUNT_ADMINS = "SELECT COUNT(*) AS n FROM tokens WHERE role = 'admin'";

  static final String SAVE_RESULT = """
      INSERT INTO job_results (job_id, rows, cols, data) VALUES (?, ?, ?, ?)
      ON CONFLICT (job_id) DO UPDATE SET rows = excluded.rows, cols = excluded.cols, data = excluded.data""";
  static final String GET_RESULT = "SELECT rows, cols, data FROM job_results WHERE job_id = ?";
  static final String SAVE_RESULT_FILE = """
      INSERT INTO job_result_files (job_id, rows, cols, bytes, sha256, path) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (job_id) DO UPDATE SET rows = excluded.rows, cols = excluded.cols, bytes = excluded.bytes,
        sha256 = excluded.sha256, path = excluded.path""";
  static final String GET_RESULT_FILE = "SELECT rows, cols, bytes, sha256, path FROM job_result_files WHERE job_id = ?";
  /** A blob of the same job from before migration 5 is dropped once its result is a file. */
  static final String DELETE_RESULT_BLOB = "DELETE FROM job_results WHERE job_id = ?";
  static final String DELETE_RESULT_FILE_ROW = "DELETE FROM job_result_files WHERE job_id = ?";

  // ---- retention
  /** Results of jobs completed before a cutoff (ISO text): file rows and blobs alike. */
  static final String EXPIRED_RESULT_FILES = """
      SELECT f.job_id, f.path FROM job_result_files f JOIN jobs j ON j.id = f.job_id
      WHERE j.completed_at IS NOT NULL AND j.completed_at < ?""";
  static final String EXPIRED_RESULT_BLOBS = """
      SELECT r.job_id FROM job_results r JOIN jobs j ON j.id = r.job_id
      WHERE j.completed_at IS NOT NULL AND j.completed_at < ?""";
  static final String EXPIRED_INPUT_JOBS = """
      SELECT id FROM jobs WHERE status IN ('completed', 'failed', 'cancelled')
      AND completed_at IS NOT NULL AND completed_at < ?""";
  static final String ALL_RESULT_PATHS = "SELECT path FROM job_result_files";
  static final String ALL_JOB_IDS = "SELECT id FROM jobs";
  static final String ALL_MATRIX_IDS = "SELECT id FROM matrices";
  /** Uploaded matrices no owner holds and no job (of any status) names as A or B. */
  static String unreferencedMatrices(Dialect dialect) {
    return "SELECT m.id FROM matrices m WHERE NOT EXISTS (SELECT 1 FROM matrix_owners o WHERE o.matrix_id = m.id) "
        + "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE " + dialect.jsonText("j.spec", "a") + " = m.id OR "
        + dialect.jsonText("j.spec", "b") + " = m.id)";
  }

  // ---- the scheduler's lease (brain.election): times are epoch milliseconds of the writing node's clock
  /** Takes an expired lease: a new holder, a higher fence. */
  static final String LEASE_ACQUIRE = """
      UPDATE scheduler_lease SET holder = ?, fence = fence + 1, expires_at = ?, lease_ms = ?
      WHERE id = 1 AND expires_at < ?""";
  /** Extends the holder's own, unexpired lease; its fence stays. */
  static final String LEASE_RENEW = """
      UPDATE scheduler_lease SET expires_at = ?, lease_ms = ?
      WHERE id = 1 AND holder = ? AND fence = ? AND expires_at >= ?""";
  static final String LEASE_RELEASE = "UPDATE scheduler_lease SET expires_at = 0 WHERE id = 1 AND holder = ? AND fence = ?";
  static final String LEASE_GET = "SELECT holder, fence, expires_at, lease_ms FROM scheduler_lease WHERE id = 1";
  /**
   * The fence check of a scheduler's write, run first in the write's transaction: matches only
   * while that fence holds an unexpired lease. It is an UPDATE (of nothing) so that it locks the
   * row until commit: no acquisition can slip between the check and the write.
   */
  static final String LEASE_FENCE_CHECK = "UPDATE scheduler_lease SET fence = fence WHERE id = 1 AND fence = ? AND expires_at >= ?";

  /** Whether a job's chunks were credited already: a job is credited whole, once. */
  static final String JOB_CREDITED = "SELECT 1 AS credited FROM chunk_credits WHERE job_id = ? LIMIT 1";
  static final String INSERT_CHUNK_CREDIT = """
      INSERT INTO chunk_credits (job_id, chunk_index, worker_id, multiply_adds, compute_ms, credited_at)
      VALUES (?, ?, ?, ?, ?, ?)""";
  /**
   * Adds a worker's verified chunks of one job to its row, creating the row at its first credit
   * (with the sessions it joined so far; later joins are counted by {@link #WORKER_JOINED}). The
   * old values are named {@code leaderboard.}: PostgreSQL finds a bare name ambiguous beside {@code excluded}.
   */
  static final String CREDIT_WORKER = """
      INSERT INTO leaderboard (worker_id, display_name, total_compute_ms, tasks_completed, sessions_joined, last_seen,
        verified_multiply_adds)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (worker_id) DO UPDATE SET
        display_name = excluded.display_name,
        total_compute_ms = leaderboard.total_compute_ms + excluded.total_compute_ms,
        tasks_completed = leaderboard.tasks_completed + excluded.tasks_completed,
        verified_multiply_adds = leaderboard.verified_multiply_adds + excluded.verified_multiply_adds,
        last_seen = excluded.last_seen""";
  /** A session joined: counted on the worker's row if it has one (joining alone makes no row). */
  static final String WORKER_JOINED = """
      UPDATE leaderboard SET sessions_joined = sessions_joined + ?, display_name = ?, last_seen = ?
      WHERE worker_id = ?""";

  /** Rank and totals of {@code n} given workers (rank 1 = most verified work). */
  static String leaderboardStanding(int n) {
    return "SELECT l.worker_id, l.total_compute_ms, l.tasks_completed, l.verified_multiply_adds, "
        // The leaderboard's own order (LEADERBOARD_TOP), ties broken the same way: a tab's rank is its row's place.
        + "(SELECT COUNT(*) FROM leaderboard o WHERE o.verified_multiply_adds > l.verified_multiply_adds "
        + "OR (o.verified_multiply_adds = l.verified_multiply_adds AND (o.total_compute_ms > l.total_compute_ms "
        + "OR (o.total_compute_ms = l.total_compute_ms AND o.worker_id < l.worker_id)))) + 1 AS rank "
        + "FROM leaderboard l WHERE l.worker_id IN (" + String.join(", ", java.util.Collections.nCopies(n, "?")) + ")";
  }

  static final String LEADERBOARD_TOP = """
      SELECT worker_id, display_name, total_compute_ms, tasks_completed, sessions_joined, last_seen, verified_multiply_adds
      FROM leaderboard ORDER BY verified_multiply_adds DESC, total_compute_ms DESC, worker_id LIMIT ?""";
}
