package brain.bench;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Consumer;

/** A family of the benchmark's figures: adds its rows to the table and its keys to the JSON of one {@link Bench} run. */
abstract class Figures {
  final Bench.Options options;
  final Consumer<String> progress;
  final List<Bench.Row> rows;
  final JsonObject results;

  Figures(Bench.Sink sink) {
    this.options = sink.options();
    this.progress = sink.progress();
    this.rows = sink.rows();
    this.results = sink.results();
  }
}
