package brain;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One-line log records on the console (java.util.logging, which Vert.x and Hazelcast also use here). */
final class Logs {
  /** Held here: java.util.logging keeps loggers weakly, and would forget their levels. */
  private static final Logger HAZELCAST = Logger.getLogger("com.hazelcast");
  private static final Logger NETTY = Logger.getLogger("io.netty");
  private static final Logger BRIDGE = Logger.getLogger("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl");
  private static final Logger CLUSTER_BUS = Logger.getLogger("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus");
  private static final Logger CLUSTER_CONNECTION = Logger.getLogger("io.vertx.core.eventbus.impl.clustered.ConnectionHolder");
  private static final Logger HAZELCAST_CONNECTION = Logger.getLogger("com.hazelcast.internal.server.tcp.TcpServerConnection");
  private static final Logger CONTEXT = Logger.getLogger("io.vertx.core.impl.ContextImpl");

  private Logs() {}

  static void configure() {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$-7s %3$s - %5$s%6$s%n");
    }
    System.setProperty("hazelcast.logging.type", System.getProperty("hazelcast.logging.type", "jdk"));
    HAZELCAST.setLevel(Level.WARNING);
    NETTY.setLevel(Level.WARNING);
    // The bridge logs every tab that closes as a SEVERE "SockJSSocket exception": a closed
    // connection is the normal end of a worker, not an error. Other bridge errors stay.
    BRIDGE.setFilter(record -> !(record.getThrown() instanceof io.vertx.core.http.HttpClosedException));
    // A cluster peer that died (kill -9) refuses the event bus's connections until Hazelcast
    // drops it: Vert.x logs each attempt as a WARNING with a stack trace. Kept as one line each
    // (still a warning, with the cause's message); other errors of the clustered bus keep theirs.
    // (A filter applies to its own logger only: set on each class that logs these.)
    CLUSTER_BUS.setFilter(Logs::withoutRefusedConnectionTrace);
    CLUSTER_CONNECTION.setFilter(Logs::withoutRefusedConnectionTrace);
    // Hazelcast logs the member connection of a peer killed mid-write ("Connection reset") with
    // its stack trace: the same, one line.
    HAZELCAST_CONNECTION.setFilter(Logs::withoutRefusedConnectionTrace);
    // Vert.x 5 fails a clustered event-bus message whose socket write failed (a peer leaving the
    // cluster) through OutboundDeliveryContext, whose tryFail answers false even though it handled
    // the failure: Promise.fail then throws "Promise already completed", which the context logs as
    // an unhandled SEVERE with a stack trace. The message was failed as it should be: one warning
    // line. Every other unhandled exception keeps its level and trace.
    CONTEXT.setFilter(Logs::withoutFailedClusterWriteTrace);
  }

  private static boolean withoutFailedClusterWriteTrace(LogRecord record) {
    if (isFailedClusterWriteReport(record.getThrown())) {
      record.setLevel(Level.WARNING);
      record.setMessage("a failure reached a Vert.x promise that had handled it already (\""
          + record.getThrown().getMessage() + "\"): in Vert.x 5, an event-bus message to a cluster peer that is leaving");
      record.setThrown(null);
    }
    return true;
  }

  /** Vert.x's report of a failed cluster write: a failure handed to a Promise that answers "already completed". */
  private static boolean isFailedClusterWriteReport(Throwable thrown) {
    if (!(thrown instanceof IllegalStateException) || !"Promise already completed".equals(thrown.getMessage())) {
      return false;
    }
    StackTraceElement[] trace = thrown.getStackTrace();
    return trace.length >= 3
        && trace[0].getClassName().equals("io.vertx.core.Promise") && trace[0].getMethodName().equals("fail")
        && trace[1].getClassName().equals("io.vertx.core.Promise") && trace[1].getMethodName().equals("complete")
        && trace[2].getClassName().startsWith("io.vertx.core.impl.future.");
  }

  static boolean withoutRefusedConnectionTrace(LogRecord record) {
    for (Throwable cause = record.getThrown(); cause != null; cause = cause.getCause()) {
      if (cause instanceof java.net.SocketException || cause instanceof java.io.EOFException) { // refused, reset
        record.setMessage(record.getMessage() + ": " + record.getThrown().getMessage());
        record.setThrown(null);
        return true;
      }
    }
    return true;
  }
}
