package brain.bus;

import brain.model.Float32Codec;
import brain.model.Matrix;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Carries a {@link Matrix} on the event bus: by reference inside one JVM (matrices run to
 * tens of megabytes, and the default codecs would copy them on the event loop), as
 * rows, cols and little-endian float32 between cluster nodes.
 */
public final class MatrixMessageCodec implements MessageCodec<Matrix, Matrix> {
  public static final String NAME = "brain-matrix";

  @Override
  public void encodeToWire(Buffer buffer, Matrix matrix) {
    buffer.appendInt(matrix.rows()).appendInt(matrix.cols()).appendBytes(Float32Codec.toBytes(matrix.data()));
  }

  @Override
  public Matrix decodeFromWire(int pos, Buffer buffer) {
    int rows = buffer.getInt(pos);
    int cols = buffer.getInt(pos + 4);
    int bytes = rows * cols * Float.BYTES;
    return new Matrix(rows, cols, Float32Codec.fromBytes(buffer.getBytes(pos + 8, pos + 8 + bytes)));
  }

  @Override
  public Matrix transform(Matrix matrix) {
    return matrix;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
