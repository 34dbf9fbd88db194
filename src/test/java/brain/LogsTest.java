package brain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What the console shows for Vert.x's unhandled exceptions, through the real Vert.x logging. */
class LogsTest {
  private final Logger context = Logger.getLogger("io.vertx.core.impl.ContextImpl");
  private final LinkedBlockingQueue<LogRecord> records = new LinkedBlockingQueue<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      records.add(record); // after the logger's filter
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Vertx vertx;

  @BeforeEach
  void start() {
    Logs.configure();
    context.addHandler(capture);
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    context.removeHandler(capture);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a failure handed to a Vert.x promise that already handled it (a cluster write to a leaving peer) is one warning line")
  void failedClusterWriteIsOneLine() throws Exception {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    // The shape of Vert.x 5's failed cluster write: socket.write(..).onComplete(writePromise), where
    // the write promise answers false to tryFail. An already completed promise answers the same.
    Promise<Void> handled = Promise.promise();
    handled.complete();
    Promise<Void> write = ctx.promise();
    write.future().onComplete(handled);
    write.fail(new java.io.IOException("Connection reset"));

    LogRecord record = records.poll(10, TimeUnit.SECONDS);
    assertNotNull(record, "the context reported it");
    assertEquals(Level.WARNING, record.getLevel());
    assertNull(record.getThrown(), "no stack trace");
    assertTrue(record.getMessage().contains("Promise already completed"), record.getMessage());
  }

  @Test
  @DisplayName("any other unhandled exception keeps its SEVERE level and its stack trace")
  void otherUnhandledExceptionsKeepTheirTrace() throws Exception {
    Context ctx = vertx.getOrCreateContext();
    ctx.runOnContext(v -> {
      throw new IllegalStateException("Promise already completed");
    });

    LogRecord record = records.poll(10, TimeUnit.SECONDS);
    assertNotNull(record, "the context reported it");
    assertEquals(Level.SEVERE, record.getLevel());
    assertNotNull(record.getThrown(), "its stack trace");
    assertEquals("Unhandled exception", record.getMessage());
  }
}
