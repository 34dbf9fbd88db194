package brain.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Carries {@link HeldBytes} on the event bus: by reference inside one JVM (the default buffer
 * codec copies every delivery, and one item is sent to every worker that fetches it), as a
 * length and the bytes between cluster nodes.
 */
public final class HeldBytesCodec implements MessageCodec<HeldBytes, HeldBytes> {
  @Override
  public void encodeToWire(Buffer buffer, HeldBytes held) {
    buffer.appendInt(held.bytes().length()).appendBuffer(held.bytes());
  }

  @Override
  public HeldBytes decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new HeldBytes(buffer.getBuffer(pos + 4, pos + 4 + length));
  }

  @Override
  public HeldBytes transform(HeldBytes held) {
    return held;
  }

  @Override
  public String name() {
    return "brain-held-bytes";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
