package brain.cli;

import picocli.CommandLine.Option;

/** Where the server is and who is asking: {@code --server}/{@code BRAIN_SERVER}, {@code --token}/{@code BRAIN_TOKEN}. */
public final class ClientOptions {
  public static final String DEFAULT_SERVER = "http://localhost:3001";

  @Option(names = "--server", paramLabel = "URL",
      description = "The server's base URL. Default: env BRAIN_SERVER, else " + DEFAULT_SERVER + ".")
  String server;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "API token (admin or requestor). Default: env BRAIN_TOKEN.")
  String token;

  @Option(names = "--json", description = "Print the server's JSON (the job view) on stdout instead of the summary.")
  boolean json;

  String server() {
    String url = server != null && !server.isBlank() ? server : System.getenv("BRAIN_SERVER");
    url = url == null || url.isBlank() ? DEFAULT_SERVER : url.strip();
    return url.contains("://") ? url : "http://" + url;
  }

  String token() {
    return token != null && !token.isBlank() ? token.strip() : System.getenv("BRAIN_TOKEN");
  }

  BrainClient client() {
    return new BrainClient(server(), token());
  }
}
