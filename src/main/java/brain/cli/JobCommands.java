package brain.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code status ID}, {@code result ID -o FILE}, {@code cancel ID}, {@code jobs}: one job, or the list. */
public final class JobCommands {
  private static final Set<String> FINAL = Set.of("completed", "failed", "cancelled");

  private JobCommands() {
  }

  /** Polls the job's view every {@link SubmitCommand#POLL_MS} until it is final, drawing the chunks bar. */
  static JsonObject follow(BrainClient client, String id, boolean bars) throws IOException, BrainClient.Refusal {
    int transient_ = 0;
    try (Progress.Bar bar = Progress.chunks(bars, "job")) {
      while (true) {
        JsonObject job;
        try {
          job = client.job(id);
          transient_ = 0;
        } catch (IOException e) {
          if (++transient_ > 20) { // a server restarting keeps the job; give it about 6 s
            throw e;
          }
          sleep();
          continue;
        }
        Integer total = job.getInteger("chunksTotal");
        if (total != null && total > 0) {
          bar.max(total);
          bar.to(ClientCommand.count(job, "chunksDone"));
        }
        Integer workers = job.getInteger("workersUsed");
        Object phase = job.getValue("phase");
        bar.message((phase != null ? phase : job.getString("status"))
            + (workers != null && workers > 0 ? " · " + workers + (workers == 1 ? " worker" : " workers") : ""));
        if (FINAL.contains(job.getString("status"))) {
          return job;
        }
        sleep();
      }
    }
  }

  private static void sleep() throws IOException {
    try {
      Thread.sleep(SubmitCommand.POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  static long download(BrainClient client, String id, Path output, boolean bars) throws IOException, BrainClient.Refusal {
    Progress.Bar[] bar = {Progress.Bar.NONE};
    try {
      return client.downloadResult(id, output, total -> bar[0] = Progress.bytes(bars, "download C", total), n -> bar[0].to(n));
    } finally {
      bar[0].close();
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show one job: status, chunks, workers, verification.")
  public static final class Status extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The job's id.")
    String id;

    @Override
    int run(BrainClient client) throws IOException, BrainClient.Refusal {
      JsonObject job = client.job(id);
      if (options.json) {
        printJson(job);
      } else {
        out().println(summary(job));
      }
      return OK;
    }
  }

  @Command(name = "result", mixinStandardHelpOptions = true, description = "Download a completed job's C as .npy.")
  public static final class Result extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The job's id.")
    String id;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write C (.npy).")
    Path output;

    @Override
    int run(BrainClient client) throws IOException, BrainClient.Refusal {
      Path parent = output.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw new ParameterException(spec.commandLine(), "no folder " + parent + " for " + output);
      }
      long bytes = download(client, id, output, Progress.interactive());
      if (options.json) {
        printJson(client.job(id));
      } else {
        out().println("wrote " + output + " (" + bytes + " bytes)");
      }
      return OK;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a queued or running job.")
  public static final class Cancel extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The job's id.")
    String id;

    @Override
    int run(BrainClient client) throws IOException, BrainClient.Refusal {
      JsonObject answer = client.cancel(id);
      JsonObject job = answer.containsKey("status") ? answer : client.job(id);
      if (options.json) {
        printJson(job);
      } else {
        out().println(summary(job));
      }
      return OK;
    }
  }

  @Command(name = "jobs", mixinStandardHelpOptions = true, description = "List jobs, newest first (yours, or all for the admin).")
  public static final class Jobs extends ClientCommand {
    @Option(names = "--limit", defaultValue = "20", description = "How many (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--offset", defaultValue = "0", description = "How many to skip (default ${DEFAULT-VALUE}).")
    int offset;

    @Override
    int run(BrainClient client) throws IOException, BrainClient.Refusal {
      JsonObject page = client.jobs(limit, offset);
      if (options.json) {
        printJson(page);
        return OK;
      }
      JsonArray jobs = page.getJsonArray("jobs", new JsonArray());
      out().printf("%-36s  %-9s  %-9s  %-20s  %s%n", "ID", "STATUS", "CHUNKS", "SHAPES", "CREATED");
      for (Object o : jobs) {
        JsonObject job = (JsonObject) o;
        out().printf("%-36s  %-9s  %-9s  %-20s  %s%n", job.getString("id"), job.getString("status"),
            count(job, "chunksDone") + "/" + count(job, "chunksTotal"), shape(job),
            job.getValue("createdAt") == null ? "" : job.getValue("createdAt"));
      }
      out().println(jobs.size() + " of " + page.getValue("total", jobs.size()) + " jobs");
      return OK;
    }
  }
}
