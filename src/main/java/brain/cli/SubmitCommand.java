package brain.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code submit A.npy B.npy -o C.npy}: uploads A and B ({@code POST /api/matrices}, streamed from the
 * files, a bar by bytes), submits C = A·B ({@code POST /api/jobs}), follows the job (its view every
 * 300 ms: a bar of chunks done of total, the workers, the ETA), downloads C as .npy ({@code GET
 * /api/jobs/{id}/result}, a bar by bytes) and writes it. Bars go to stderr, and only in a terminal.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Multiply two .npy matrices on the grid: upload A and B, submit C = A·B, follow it live, "
        + "download C as .npy.",
        "Exit status: 0 C written; 1 the server refused (its reason on stderr), the job failed or was "
            + "cancelled, or the server could not be reached; 2 usage error."})
public final class SubmitCommand extends ClientCommand {
  static final long POLL_MS = 300;

  @Parameters(index = "0", paramLabel = "A.npy", description = "The left matrix, a 2-D .npy (float32 or float64).")
  Path a;

  @Parameters(index = "1", paramLabel = "B.npy", description = "The right matrix, a 2-D .npy; rows(B) = cols(A).")
  Path b;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "C.npy", description = "Where to write C (float32 .npy).")
  Path output;

  @Option(names = "--verify", paramLabel = "MODE", description = "auto (default), full, freivalds or none.")
  String verify;

  @Option(names = "--chunk-rows", paramLabel = "N", description = "Rows of A per chunk (default: the server's choice).")
  Integer chunkRows;

  @Override
  int run(BrainClient client) throws IOException, BrainClient.Refusal {
    for (Path input : new Path[] {a, b}) {
      if (!Files.isRegularFile(input) || !Files.isReadable(input)) {
        throw new ParameterException(spec.commandLine(), "no readable file " + input);
      }
    }
    if (verify != null && !java.util.List.of("auto", "full", "freivalds", "none").contains(verify)) {
      throw new ParameterException(spec.commandLine(), "--verify is auto, full, freivalds or none, not '" + verify + "'");
    }
    if (chunkRows != null && chunkRows < 1) {
      throw new ParameterException(spec.commandLine(), "--chunk-rows must be at least 1");
    }
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new ParameterException(spec.commandLine(), "no folder " + parent + " for " + output);
    }
    boolean bars = Progress.interactive();

    JsonObject matrixA = upload(client, a, "A", bars);
    JsonObject matrixB = upload(client, b, "B", bars);
    JsonObject spec = new JsonObject().put("a", matrixA.getString("id")).put("b", matrixB.getString("id"));
    if (verify != null) {
      spec.put("verify", verify);
    }
    if (chunkRows != null) {
      spec.put("chunkRows", chunkRows);
    }
    JsonObject job = client.submit(spec);
    String id = job.getString("id");
    if (bars) {
      System.err.println("job " + id + " submitted (" + matrixA.getValue("rows") + "x" + matrixA.getValue("cols") + " · "
          + matrixB.getValue("rows") + "x" + matrixB.getValue("cols") + ")");
    }
    job = JobCommands.follow(client, id, bars);
    String status = job.getString("status");
    if (!"completed".equals(status)) {
      if (options.json) {
        printJson(job);
      }
      err().println("error: " + summary(job));
      return REFUSED;
    }
    long bytes = JobCommands.download(client, id, output, bars);
    if (options.json) {
      printJson(job);
    } else {
      out().println(summary(job));
      out().println(String.format(Locale.ROOT, "wrote %s: %sx%s float32 (%d bytes)", output,
          matrixA.getValue("rows"), matrixB.getValue("cols"), bytes));
    }
    return OK;
  }

  private static JsonObject upload(BrainClient client, Path file, String name, boolean bars)
      throws IOException, BrainClient.Refusal {
    try (Progress.Bar bar = Progress.bytes(bars, "upload " + name, Files.size(file))) {
      return client.uploadMatrix(file, bar::to);
    }
  }
}
