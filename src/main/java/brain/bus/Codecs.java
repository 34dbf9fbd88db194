package brain.bus;

import brain.model.Matrix;
import io.vertx.core.Vertx;

/** Registers our event-bus codecs; called once per Vertx instance at bootstrap, on every node. */
public final class Codecs {
  private Codecs() {}

  public static void register(Vertx vertx) {
    vertx.eventBus().registerDefaultCodec(Matrix.class, new MatrixMessageCodec());
    vertx.eventBus().registerDefaultCodec(HeldBytes.class, new HeldBytesCodec());
  }
}
