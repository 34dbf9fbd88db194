package brain.checkpoint;

import static org.junit.jupiter.api.Assertions.*;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The checkpoint files on a real disk: what a crash can leave behind is read back safely. */
@Timeout(30)
class ChunkLogTest {
  private static final int COLS = 3;

  private static float[] rows(int chunk, int rows, float salt) {
    float[] values = new float[rows * COLS];
    for (int i = 0; i < values.length; i++) {
      values[i] = chunk * 100 + i + salt;
    }
    return values;
  }

  private static ChunkLog.Entry entry(int chunk, String worker) {
    return new ChunkLog.Entry(chunk, chunk * 2, 2, 7, worker, "name of " + worker, "node-1", 2L * COLS * 5, 1.5, 0);
  }

  @Test
  @DisplayName("accepted chunks read back with their rows and records; appends from many threads all land")
  void roundTrip() throws Exception {
    Path dir = Files.createTempDirectory("brain-checkpoint");
    try (ChunkLog log = ChunkLog.open(dir, "job", COLS)) {
      ExecutorService threads = Executors.newFixedThreadPool(4);
      List<Future<?>> appends = IntStream.range(0, 40).mapToObj(c -> threads.submit(
          () -> log.append(entry(c, "w-" + c % 3), rows(c, 2, 0)))).<Future<?>>map(f -> f).toList();
      for (Future<?> f : appends) {
        f.get();
      }
      threads.shutdown();
    }
    List<ChunkLog.Accepted> back = ChunkLog.read(dir, "job", COLS);
    assertEquals(40, back.size());
    for (ChunkLog.Accepted a : back) {
      int c = a.entry().chunk();
      assertArrayEquals(rows(c, 2, 0), a.values(), "rows of chunk " + c);
      assertEquals("w-" + c % 3, a.entry().workerId());
      assertEquals("node-1", a.entry().node());
      assertEquals(7, a.entry().fence());
      assertEquals(30, a.entry().multiplyAdds());
    }
    assertEquals(2, ChunkLog.delete(dir, "job"));
    assertEquals(List.of(), ChunkLog.read(dir, "job", COLS), "no checkpoint, no chunks");
  }

  @Test
  @DisplayName("a torn record at the end is ignored and cut off; rows that do not match their CRC are computed again")
  void tornTailAndBadRows() throws Exception {
    Path dir = Files.createTempDirectory("brain-checkpoint");
    try (ChunkLog log = ChunkLog.open(dir, "job", COLS)) {
      log.append(entry(0, "w-a"), rows(0, 2, 0));
      log.append(entry(1, "w-a"), rows(1, 2, 0));
      log.append(entry(2, "w-a"), rows(2, 2, 0));
    }
    Path logFile = ChunkLog.logFile(dir, "job");
    long full = Files.size(logFile);
    try (RandomAccessFile raw = new RandomAccessFile(logFile.toFile(), "rw")) {
      raw.setLength(full - 5); // the last record torn by a crash mid-write
    }
    try (RandomAccessFile part = new RandomAccessFile(ChunkLog.partFile(dir, "job").toFile(), "rw")) {
      part.seek((long) 2 * COLS * Float.BYTES); // chunk 1's rows (rowStart 2) damaged
      part.writeInt(0x7f7f7f7f);
    }
    List<ChunkLog.Accepted> back = ChunkLog.read(dir, "job", COLS);
    assertEquals(List.of(0), back.stream().map(a -> a.entry().chunk()).toList(),
        "chunk 1's rows fail their CRC, chunk 2's record is torn: only chunk 0 counts");

    // Reopened, the torn tail is cut off and new records follow the last good one.
    try (ChunkLog log = ChunkLog.open(dir, "job", COLS)) {
      log.append(entry(2, "w-b"), rows(2, 2, 0));
      log.append(entry(1, "w-b"), rows(1, 2, 0.5f)); // computed again: the last record of a chunk wins
    }
    List<ChunkLog.Accepted> again = ChunkLog.read(dir, "job", COLS);
    assertEquals(List.of(0, 2, 1), again.stream().map(a -> a.entry().chunk()).toList());
    assertArrayEquals(rows(1, 2, 0.5f), again.get(2).values());
    assertEquals("w-b", again.get(2).entry().workerId());
  }
}
