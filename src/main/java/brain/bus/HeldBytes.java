package brain.bus;

import io.vertx.core.buffer.Buffer;

/**
 * A data item's bytes, held in the scheduler's memory rather than in a file: the answer to a
 * data fetch for a small generated job, whose inputs are never written to disk (the seed
 * regenerates them). Read-only by convention: one buffer is shared by every response that
 * sends it.
 */
public record HeldBytes(Buffer bytes) {}
