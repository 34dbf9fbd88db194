package brain.persistence;

import java.util.List;

/** Every SQL statement of the application. Written for SQLite; {@code ?} placeholders only. */
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
          )"""));

  static final String CREATE_SCHEMA_VERSION = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
  static final String SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version";
  static final String RECORD_SCHEMA_VERSION = "INSERT INTO schema_version (version) VALUES (?)";

  static final String INSERT_JOB = """
      INSERT INTO jobs (id, rows_a, cols_a, cols_b, created_at, status, seed, verify_mode, chunk_rows, spec, replay_of)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";
  static final String DELETE_JOB = "DELETE FROM jobs WHERE id = ?";
  static final String JOB_COLUMNS = """
      id, rows_a, cols_a, cols_b, workers_used, chunks_count, total_time_ms, avg_chunk_time_ms, throughput_mops,
      efficiency_ratio, created_at, status, seed, verify_mode, chunk_rows, replay_of, started_at, completed_at,
      chunks_done, compute_time_ms, network_time_ms, transfer_time_ms, bytes_transferred, verification_method, verification_passed,
      verification_max_abs_error, error""";
  static final String GET_JOB = "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ?";
  static final String GET_JOB_TIMELINE = "SELECT timeline FROM jobs WHERE id = ?";
  static final String GET_JOB_SPEC = "SELECT spec FROM jobs WHERE id = ?";
  static final String LIST_JOBS = "SELECT " + JOB_COLUMNS + " FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?";
  static final String COUNT_JOBS = "SELECT COUNT(*) AS total FROM jobs";
  static final String UNFINISHED_JOBS =
      "SELECT " + JOB_COLUMNS + ", spec FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid";
  static final String JOB_COUNTS_BY_STATUS = "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status";

  static final String SAVE_RESULT = """
      INSERT INTO job_results (job_id, rows, cols, data) VALUES (?, ?, ?, ?)
      ON CONFLICT (job_id) DO UPDATE SET rows = excluded.rows, cols = excluded.cols, data = excluded.data""";
  static final String GET_RESULT = "SELECT rows, cols, data FROM job_results WHERE job_id = ?";

  /** Adds compute time, chunks and sessions to a worker's row, creating it the first time. */
  static final String CREDIT_WORKER = """
      INSERT INTO leaderboard (worker_id, display_name, total_compute_ms, tasks_completed, sessions_joined, last_seen)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (worker_id) DO UPDATE SET
        display_name = excluded.display_name,
        total_compute_ms = total_compute_ms + excluded.total_compute_ms,
        tasks_completed = tasks_completed + excluded.tasks_completed,
        sessions_joined = sessions_joined + excluded.sessions_joined,
        last_seen = excluded.last_seen""";
  /** Rank and totals of {@code n} given workers (rank 1 = most compute time). */
  static String leaderboardStanding(int n) {
    return "SELECT l.worker_id, l.total_compute_ms, l.tasks_completed, "
        + "(SELECT COUNT(*) FROM leaderboard o WHERE o.total_compute_ms > l.total_compute_ms) + 1 AS rank "
        + "FROM leaderboard l WHERE l.worker_id IN (" + String.join(", ", java.util.Collections.nCopies(n, "?")) + ")";
  }

  static final String LEADERBOARD_TOP = """
      SELECT worker_id, display_name, total_compute_ms, tasks_completed, sessions_joined, last_seen
      FROM leaderboard ORDER BY total_compute_ms DESC, tasks_completed DESC, worker_id LIMIT ?""";
}
