package brain.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The checkpoint of a running job's accepted chunks, in two files beside its result under
 * {@code storage.dir/results} (shared by every node of a cluster): {@code <jobId>.part}, the
 * product's rows written in place as chunks are accepted (raw float32, row-major, little-endian),
 * and {@code <jobId>.chunks}, an append-only log of one record per accepted chunk (its index,
 * the fence of the scheduler that accepted it, the worker and its node, the credited
 * multiply-adds and compute time, the CRC32 of its rows). A chunk counts only once both are
 * forced to disk; appends that run at the same time share one force (group commit). Files, not
 * database rows: database writes per job must not grow with its chunks.
 *
 * <p>Reading skips a torn or corrupt tail (a record whose length or CRC does not check) and a
 * chunk whose rows do not match their CRC: those chunks are simply computed again. All methods
 * block: call them from worker threads only.
 */
public final class ChunkLog implements AutoCloseable {
  public static final String PART_SUFFIX = ".part";
  public static final String LOG_SUFFIX = ".chunks";
  private static final int MAGIC = 0x43484b31; // "CHK1"
  private static final int MAX_RECORD = 4096;

  /** One accepted chunk, as the log records it. */
  public record Entry(int chunk, int rowStart, int rows, long fence, String workerId, String name, String node,
      long multiplyAdds, double computeMs, int rowsCrc, int colStart, int blockCols) {
    /** A row slice: all of C's columns. */
    public Entry(int chunk, int rowStart, int rows, long fence, String workerId, String name, String node,
        long multiplyAdds, double computeMs, int rowsCrc) {
      this(chunk, rowStart, rows, fence, workerId, name, node, multiplyAdds, computeMs, rowsCrc, 0, 0);
    }

    /** A 2-D block's columns {@code colStart..+blockCols}; 0 blockCols: all of them (a row slice). */
    public int cols(int productCols) {
      return blockCols == 0 ? productCols : blockCols;
    }
  }

  /** A chunk read back: its record and its rows. */
  public record Accepted(Entry entry, float[] values) {}

  private final FileChannel part;
  private final FileChannel log;
  private final int cols;
  private final Object forceLock = new Object();
  private long written;
  private long forced;

  private ChunkLog(FileChannel part, FileChannel log, int cols) {
    this.part = part;
    this.log = log;
    this.cols = cols;
  }

  public static Path partFile(Path storageDir, String jobId) {
    return storageDir.resolve("results").resolve(jobId + PART_SUFFIX);
  }

  public static Path logFile(Path storageDir, String jobId) {
    return storageDir.resolve("results").resolve(jobId + LOG_SUFFIX);
  }

  /**
   * Opens (creating them if need be) the job's checkpoint files for appending; a torn tail left by
   * a crash is cut off first, so that new records follow the last good one.
   */
  public static ChunkLog open(Path storageDir, String jobId, int cols) {
    try {
      Path logPath = logFile(storageDir, jobId);
      Files.createDirectories(logPath.getParent());
      FileChannel part = FileChannel.open(partFile(storageDir, jobId), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.READ);
      FileChannel log = FileChannel.open(logPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
      long good = scan(logPath, new LinkedHashMap<>());
      log.truncate(good);
      log.position(good);
      return new ChunkLog(part, log, cols);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the checkpoint of job " + jobId, e);
    }
  }

  /** Writes a chunk's rows in place and its record at the end of the log; returns once both are on disk. */
  public void append(Entry entry, float[] values) {
    try {
      force(write(entry, values));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot checkpoint chunk " + entry.chunk(), e);
    }
  }

  /**
   * Writes a chunk's rows in place and its record at the end of the log, without forcing them to
   * disk: the chunk counts only after {@link #force(long)} with the answer (or a later one).
   */
  public long write(Entry entry, float[] values) throws IOException {
    ByteBuffer rows = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    rows.asFloatBuffer().put(values);
    CRC32 crc = new CRC32();
    crc.update(rows.array());
    Entry sealed = new Entry(entry.chunk(), entry.rowStart(), entry.rows(), entry.fence(), entry.workerId(), entry.name(),
        entry.node(), entry.multiplyAdds(), entry.computeMs(), (int) crc.getValue(), entry.colStart(), entry.blockCols());
    byte[] record = encode(sealed);
    int width = entry.cols(cols);
    if (width == cols) {
      writeFully(part, rows, (long) entry.rowStart() * cols * Float.BYTES);
    } else { // a block: each of its rows in place in C's row
      for (int i = 0; i < entry.rows(); i++) {
        rows.limit((i + 1) * width * Float.BYTES).position(i * width * Float.BYTES);
        writeFully(part, rows, ((long) (entry.rowStart() + i) * cols + entry.colStart()) * Float.BYTES);
      }
    }
    synchronized (this) {
      log.write(ByteBuffer.wrap(record));
      return ++written;
    }
  }

  /** Forces what {@link #write} answered {@code mine} for to disk; one force covers every write made before it started (group commit). */
  public void force(long mine) throws IOException {
    synchronized (forceLock) {
      if (forced >= mine) {
        return; // another thread's force covered this append
      }
      long upTo;
      synchronized (this) {
        upTo = written;
      }
      part.force(false);
      log.force(false);
      forced = upTo;
    }
  }

  @Override
  public void close() {
    try {
      part.close();
      log.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The chunks a job's checkpoint holds whose rows check out, the last record of each chunk
   * winning (a chunk computed again after a failed final check, or by two schedulers, has rows of
   * the last write; rows that match no record are computed again); none when there is no checkpoint. {@code cols}: the product's columns.
   */
  public static List<Accepted> read(Path storageDir, String jobId, int cols) {
    Path logPath = logFile(storageDir, jobId);
    Path partPath = partFile(storageDir, jobId);
    if (!Files.exists(logPath) || !Files.exists(partPath)) {
      return List.of();
    }
    Map<Integer, Entry> entries = new LinkedHashMap<>();
    List<Accepted> accepted = new ArrayList<>();
    try {
      scan(logPath, entries);
      try (FileChannel part = FileChannel.open(partPath, StandardOpenOption.READ)) {
        for (Entry entry : entries.values()) {
          int width = entry.cols(cols);
          ByteBuffer rows = ByteBuffer.allocate(entry.rows() * width * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
          for (int i = 0; i < entry.rows() && rows.position() == i * width * Float.BYTES; i++) {
            rows.limit((i + 1) * width * Float.BYTES);
            long at = ((long) (entry.rowStart() + i) * cols + entry.colStart()) * Float.BYTES - (long) i * width * Float.BYTES;
            while (rows.hasRemaining() && part.read(rows, at + rows.position()) > 0) {
              // reads until full or the end of the file
            }
          }
          rows.limit(rows.capacity());
          CRC32 crc = new CRC32();
          crc.update(rows.array());
          if (rows.hasRemaining() || (int) crc.getValue() != entry.rowsCrc()) {
            continue; // rows not on disk as recorded: computed again
          }
          float[] values = new float[entry.rows() * width];
          rows.flip();
          rows.asFloatBuffer().get(values);
          accepted.add(new Accepted(entry, values));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the checkpoint of job " + jobId, e);
    }
    return accepted;
  }

  /** Deletes a job's checkpoint files (its final result is stored); answers how many there were. */
  public static int delete(Path storageDir, String jobId) {
    int deleted = 0;
    for (Path file : List.of(partFile(storageDir, jobId), logFile(storageDir, jobId))) {
      try {
        if (Files.deleteIfExists(file)) {
          deleted++;
        }
      } catch (IOException e) {
        // left for the next sweep of the job's files
      }
    }
    return deleted;
  }

  /** Reads good records into {@code entries} (last per chunk); answers the offset where the good part ends. */
  private static long scan(Path logPath, Map<Integer, Entry> entries) throws IOException {
    if (!Files.exists(logPath)) {
      return 0;
    }
    byte[] all = Files.readAllBytes(logPath);
    ByteBuffer in = ByteBuffer.wrap(all);
    long good = 0;
    while (in.remaining() >= 8) {
      int length = in.getInt();
      if (length < 0 || length > MAX_RECORD || in.remaining() < length + 4) {
        break;
      }
      byte[] body = new byte[length];
      in.get(body);
      int stated = in.getInt();
      CRC32 crc = new CRC32();
      crc.update(body);
      if ((int) crc.getValue() != stated) {
        break;
      }
      Entry entry = decode(body);
      if (entry == null) {
        break;
      }
      entries.remove(entry.chunk()); // the last record of a chunk wins: its rows were written last
      entries.put(entry.chunk(), entry);
      good = in.position();
    }
    return good;
  }

  private static byte[] encode(Entry e) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeInt(e.chunk());
      out.writeInt(e.rowStart());
      out.writeInt(e.rows());
      out.writeLong(e.fence());
      out.writeUTF(e.workerId());
      out.writeUTF(e.name() == null ? "" : e.name());
      out.writeUTF(e.node() == null ? "" : e.node());
      out.writeLong(e.multiplyAdds());
      out.writeDouble(e.computeMs());
      out.writeInt(e.rowsCrc());
      if (e.blockCols() > 0) { // a block; a row slice's record stays as before
        out.writeInt(e.colStart());
        out.writeInt(e.blockCols());
      }
      byte[] body = bytes.toByteArray();
      CRC32 crc = new CRC32();
      crc.update(body);
      ByteBuffer record = ByteBuffer.allocate(body.length + 8);
      record.putInt(body.length).put(body).putInt((int) crc.getValue());
      return record.array();
    } catch (IOException impossible) {
      throw new UncheckedIOException(impossible);
    }
  }

  private static Entry decode(byte[] body) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body))) {
      if (in.readInt() != MAGIC) {
        return null;
      }
      Entry e = new Entry(in.readInt(), in.readInt(), in.readInt(), in.readLong(), in.readUTF(), in.readUTF(), in.readUTF(),
          in.readLong(), in.readDouble(), in.readInt());
      if (in.available() >= 2 * Integer.BYTES) { // a block's columns
        e = new Entry(e.chunk(), e.rowStart(), e.rows(), e.fence(), e.workerId(), e.name(), e.node(), e.multiplyAdds(),
            e.computeMs(), e.rowsCrc(), in.readInt(), in.readInt());
      }
      return e;
    } catch (IOException e) {
      return null;
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer data, long position) throws IOException {
    while (data.hasRemaining()) {
      position += channel.write(data, position);
    }
  }
}
