package brain.bridge;

import brain.config.BrainConfig;

/**
 * What one bridge socket may cost the server: messages and bytes per second (token buckets
 * with a burst), and how many sockets one remote address may hold. Read from the
 * {@code bridge} section of the configuration.
 *
 * @param maxMessagesPerSecond sustained frames per second of one socket (send, publish, register, unregister, ping)
 * @param messageBurst         frames a socket may send at once above that rate
 * @param maxBytesPerSecond    sustained bytes per second of one socket (its JSON text's length, counted from the parsed frame)
 * @param byteBurst            bytes at once; never below {@code maxMessageBytes}, so one maximal message passes
 * @param maxSocketsPerAddress open sockets per remote IP address (a classroom behind one NAT is one address)
 */
public record BridgeLimits(double maxMessagesPerSecond, double messageBurst, double maxBytesPerSecond,
    double byteBurst, int maxSocketsPerAddress) {

  public BridgeLimits {
    if (maxMessagesPerSecond <= 0 || messageBurst < 1 || maxBytesPerSecond <= 0 || byteBurst <= 0
        || maxSocketsPerAddress < 1) {
      throw new IllegalArgumentException("bridge limits must be positive: " + maxMessagesPerSecond + "/s burst "
          + messageBurst + ", " + maxBytesPerSecond + " B/s burst " + byteBurst + ", " + maxSocketsPerAddress + " sockets");
    }
  }

  public static BridgeLimits from(BrainConfig.Reader conf) {
    double maxMessageBytes = conf.number("bridge.maxMessageBytes");
    return new BridgeLimits(conf.number("bridge.maxMessagesPerSecond"), conf.number("bridge.messageBurst"),
        conf.number("bridge.maxBytesPerSecond"),
        // A legitimate result may be as large as the message limit: the burst must admit it whole.
        Math.max(conf.number("bridge.byteBurst"), maxMessageBytes),
        conf.integer("bridge.maxSocketsPerAddress"));
  }

  TokenBucket messageBucket() {
    return new TokenBucket(maxMessagesPerSecond, messageBurst);
  }

  TokenBucket byteBucket() {
    return new TokenBucket(maxBytesPerSecond, byteBurst);
  }
}
