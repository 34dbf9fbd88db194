package brain.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench}: measures the grid and prints the table of issue 3. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure the grid with headless workers; print a table and write it as JSON.")
public final class BenchCommand implements Callable<Integer> {
  @Option(names = "--server", description = "Measure a running server (its chunk check must be off for the "
      + "answering workers: verify.chunkVectors 0). Default: a server in this process.")
  URI server;

  @Option(names = "--token", defaultValue = "${env:BRAIN_TOKEN}",
      description = "With --server: the API token to submit with (default: env BRAIN_TOKEN).")
  String token;

  @Option(names = "--quick", description = "Fewer and smaller runs (about a minute).")
  boolean quick;

  @Option(names = "--repeat", description = "Runs per figure for medians and p99 (default 5, quick 2).")
  Integer repeat;

  @Option(names = "--out", description = "Where the JSON goes (default target/bench).")
  Path out = Path.of("target", "bench");

  @Option(names = "--engines-only", description = "Only the table \"engines\" (each engine next to NumPy, "
      + "a few seconds); its JSON goes to engines-latest.json.")
  boolean enginesOnly;

  @Option(names = "--wall-only", description = "Only chunk throughput and the 512³ wall time beside the reference "
      + "(with the wire ratio), and inline or data plane: a few minutes.")
  boolean wallOnly;

  @Override
  public Integer call() throws Exception {
    if (enginesOnly) {
      EnginesBench engines = EnginesBench.measure(line -> System.out.printf("%tT  %s%n", System.currentTimeMillis(),
          line), quick);
      System.out.println();
      System.out.print(engines.table());
      java.nio.file.Files.createDirectories(out);
      java.nio.file.Files.writeString(out.resolve("engines-latest.json"), engines.json().encodePrettily());
      System.out.printf("%nJSON in %s%n", out.resolve("engines-latest.json"));
      return 0;
    }
    int repeats = repeat != null ? repeat : quick ? 2 : 5;
    Bench bench = new Bench(new Bench.Options(server, quick, repeats, out, token),
        line -> System.out.printf("%tT  %s%n", System.currentTimeMillis(), line));
    var results = bench.run(wallOnly);
    System.out.println();
    System.out.print(bench.table());
    System.out.printf("%n%s s in all; JSON in %s%n", results.getDouble("seconds"), out.resolve("latest.json"));
    return 0;
  }
}
