package brain;

import brain.auth.Tokens;
import brain.config.BrainConfig;
import brain.model.Times;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code token create NAME | list | revoke NAME | admin}: the API tokens, managed directly in the
 * server's database, whether the server is running or not. The file is opened exactly as the
 * server opens it (same URL completion: WAL, busy_timeout) and brought to the server's schema by
 * the server's own migrations, so a database the server has not created yet is created here.
 * SQLite lets this process write beside a running server (WAL; a busy writer is waited for), and
 * the server reads the token table on each request, so a change applies from its next request.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = {"Create, list and revoke API tokens in the server's database (BRAIN_DB_URL or --db).",
        "Works whether the server is running or not; a running server sees the change at its next request."},
    subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class,
        TokenCommand.Admin.class})
final class TokenCommand {
  /** The row {@code token admin} replaces: the server's first-start (or BRAIN_ADMIN_TOKEN) admin. */
  static final String ADMIN_NAME = brain.auth.AuthVerticle.ADMIN_NAME;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,40}");

  private static final String INSERT = """
      INSERT INTO tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO NOTHING""";
  private static final String REPLACE = """
      INSERT INTO tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash,
        created_at = excluded.created_at, last_used_at = NULL""";
  private static final String LIST = "SELECT name, role, created_at, last_used_at FROM tokens ORDER BY name";
  private static final String DELETE = "DELETE FROM tokens WHERE name = ?";

  /** Where the database is: the same resolution as {@code serve}'s. */
  static final class DatabaseOptions {
    @Option(names = "--db", paramLabel = "URL",
        description = "JDBC URL (or SQLite file path) of the server's database. Default: env BRAIN_DB_URL, "
            + "else the configuration's db.url (jdbc:sqlite:data/brain.db).")
    String db;

    @Option(names = "--config", paramLabel = "FILE", description = "JSON file merged over config/brain.json, as for serve.")
    Path configFile;

    BrainConfig config() {
      return BrainConfig.load(System.getenv(), configFile);
    }

    String url(BrainConfig config) {
      if (db != null && !db.isBlank()) {
        return db.startsWith("jdbc:") ? db.trim() : "jdbc:sqlite:" + db.trim();
      }
      return config.json().getJsonObject("db").getString("url");
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a token NAME; prints the token once on stdout (only its hash is stored).")
  static final class Create implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "1 to 40 characters of A-Z a-z 0-9 _ . -")
    String name;

    @Option(names = "--role", paramLabel = "ROLE", defaultValue = Tokens.REQUESTOR,
        description = "admin or requestor (default: ${DEFAULT-VALUE}).")
    String role;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() {
      checkName(spec, name);
      if (!role.equals(Tokens.ADMIN) && !role.equals(Tokens.REQUESTOR)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--role must be " + Tokens.ADMIN + " or " + Tokens.REQUESTOR + ", not '" + role + "'");
      }
      return run(spec, database, db -> {
        String token = Tokens.newToken();
        int inserted = db.update(INSERT, Tuple.of(name, role, Tokens.hash(token), Times.now()));
        if (inserted == 0) {
          err(spec).println("token: a token named '" + name + "' already exists; revoke it first (token revoke " + name
              + ") or choose another name");
          return 1;
        }
        out(spec).println(token);
        err(spec).println("token for " + name + " (" + role + "); it is not stored and will not be shown again");
        return 0;
      });
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List the tokens: name, role, created, last used (never the tokens or their hashes).")
  static final class ListTokens implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() {
      return run(spec, database, db -> {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "ROLE", "CREATED", "LAST USED"});
        for (Row row : db.query(LIST, Tuple.tuple())) {
          String lastUsed = row.getString("last_used_at");
          rows.add(new String[] {row.getString("name"), row.getString("role"), row.getString("created_at"),
              lastUsed == null ? "never" : lastUsed});
        }
        if (rows.size() == 1) {
          err(spec).println("no tokens; create one with: token create NAME [--role admin|requestor]");
          return 0;
        }
        printTable(out(spec), rows);
        return 0;
      });
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Delete the token NAME: a running server refuses it from its next request.")
  static final class Revoke implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() {
      return run(spec, database, db -> {
        if (db.update(DELETE, Tuple.of(name)) == 0) {
          err(spec).println("token: there is no token named '" + name + "' (token list shows the names)");
          return 1;
        }
        out(spec).println("revoked " + name);
        return 0;
      });
    }
  }

  @Command(name = "admin", mixinStandardHelpOptions = true,
      description = {"Print a NEW admin token, replacing the one named \"admin\" (the first-start token), "
          + "with the dashboard address to sign in with it.",
          "The previous admin token stops working at the server's next request."})
  static final class Admin implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT",
        description = "Port in the dashboard address (default: env BRAIN_HTTP_PORT or PORT, else the configuration's, 3001).")
    Integer port;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() {
      return run(spec, database, db -> {
        String token = Tokens.newToken();
        db.update(REPLACE, Tuple.of(ADMIN_NAME, Tokens.ADMIN, Tokens.hash(token), Times.now()));
        int shownPort = port != null ? port : db.config.json().getJsonObject("http").getInteger("port", 3001);
        out(spec).println(token);
        out(spec).println(BrainServer.dashboardLine(db.config, shownPort, token));
        err(spec).println("new admin token (named \"" + ADMIN_NAME + "\"); the previous one no longer works. "
            + "It is not stored and will not be shown again");
        String fromEnv = System.getenv("BRAIN_ADMIN_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
          err(spec).println("note: BRAIN_ADMIN_TOKEN is set here; a server started with it puts that token back as \""
              + ADMIN_NAME + "\" when it starts");
        }
        return 0;
      });
    }
  }

  // ------------------------------------------------------------------ helpers

  private static void checkName(CommandSpec spec, String name) {
    if (!NAME.matcher(name).matches()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "NAME must be 1 to 40 characters of A-Z a-z 0-9 _ . - (got '" + name + "')");
    }
  }

  private static PrintWriter out(CommandSpec spec) {
    return spec.commandLine().getOut();
  }

  private static PrintWriter err(CommandSpec spec) {
    return spec.commandLine().getErr();
  }

  private static void printTable(PrintWriter out, List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  interface Work {
    int apply(TokenDatabase db) throws Exception;
  }

  /** Opens the database, does {@code work}, closes it; any failure is one line on stderr and exit 1. */
  private static int run(CommandSpec spec, DatabaseOptions options, Work work) {
    try {
      BrainConfig config = options.config();
      try (TokenDatabase db = TokenDatabase.open(config, options.url(config))) {
        return work.apply(db);
      }
    } catch (Exception e) {
      Throwable cause = e;
      while (cause.getMessage() == null && cause.getCause() != null) {
        cause = cause.getCause();
      }
      err(spec).println("token: " + cause.getMessage());
      return 1;
    } finally {
      out(spec).flush();
      err(spec).flush();
    }
  }
}
