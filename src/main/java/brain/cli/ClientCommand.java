package brain.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the client commands share: the connection options, and the exit codes: 0 done, 1 the server
 * refused (its status and reason on stderr), the job failed or was cancelled, or the server could not
 * be reached; 2 a usage error (picocli's).
 */
abstract class ClientCommand implements Callable<Integer> {
  static final int OK = 0;
  static final int REFUSED = 1;

  @Spec
  CommandSpec spec;

  @Mixin
  ClientOptions options;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  abstract int run(BrainClient client) throws IOException, BrainClient.Refusal;

  @Override
  public final Integer call() {
    try {
      return run(options.client());
    } catch (BrainClient.Refusal r) {
      err().println("error: " + r.describe());
      return REFUSED;
    } catch (IOException e) {
      err().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return REFUSED;
    } finally {
      out().flush();
      err().flush();
    }
  }

  void printJson(JsonObject json) {
    out().println(json.encodePrettily());
  }

  /** "job 3f2a: running, 5/12 chunks, 2 workers" and, when there are, timing, verification and error. */
  static String summary(JsonObject job) {
    StringBuilder s = new StringBuilder("job ").append(job.getString("id")).append(": ").append(job.getString("status"));
    Object phase = job.getValue("phase");
    if (phase != null && !String.valueOf(phase).equals(job.getString("status"))) {
      s.append(" (").append(phase).append(')');
    }
    Integer total = job.getInteger("chunksTotal");
    if (total != null && total > 0) {
      s.append(", ").append(num(job.getInteger("chunksDone"))).append('/').append(total).append(" chunks");
    }
    Integer workers = job.getInteger("workersUsed");
    if (workers != null && workers > 0) {
      s.append(", ").append(workers).append(workers == 1 ? " worker" : " workers");
    }
    JsonObject metrics = job.getValue("metrics") instanceof JsonObject m ? m : null;
    if (metrics != null && metrics.getValue("totalTimeMs") instanceof Number ms && ms.doubleValue() > 0) {
      s.append(String.format(Locale.ROOT, ", %.2f s", ms.doubleValue() / 1000));
    }
    if (job.getValue("verification") instanceof JsonObject v) {
      s.append(", verification ").append(v.getString("method")).append(Boolean.TRUE.equals(v.getBoolean("passed"))
          ? " passed" : " FAILED");
    }
    if (job.getValue("error") instanceof String error && !error.isBlank()) {
      s.append(": ").append(error);
    }
    return s.toString();
  }

  static String shape(JsonObject job) {
    Integer m = job.getInteger("rowsA");
    Integer k = job.getInteger("colsA");
    Integer n = job.getInteger("colsB");
    return m == null || k == null || n == null ? "" : m + "x" + k + " · " + k + "x" + n;
  }

  private static int num(Integer value) {
    return value == null ? 0 : value;
  }

  /** A count from the view, 0 when absent or null. */
  static int count(JsonObject job, String key) {
    return job.getValue(key) instanceof Number n ? n.intValue() : 0;
  }
}
