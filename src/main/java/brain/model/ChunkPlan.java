package brain.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** How the rows of A are cut into chunks: consecutive row slices of (at most) the same height. */
public final class ChunkPlan {

  /** One row slice of A and the matching slice of C. */
  public record Chunk(int index, int rowStart, int rows) {}

  private final int totalRows;
  private final int chunkRows;
  private final List<Chunk> chunks;

  private ChunkPlan(int totalRows, int chunkRows) {
    this.totalRows = totalRows;
    this.chunkRows = chunkRows;
    List<Chunk> list = new ArrayList<>();
    for (int start = 0, index = 0; start < totalRows; start += chunkRows, index++) {
      list.add(new Chunk(index, start, Math.min(chunkRows, totalRows - start)));
    }
    this.chunks = Collections.unmodifiableList(list);
  }

  public static ChunkPlan of(int totalRows, int chunkRows) {
    if (totalRows < 1 || chunkRows < 1) {
      throw new IllegalArgumentException("rows and chunk rows must be positive");
    }
    return new ChunkPlan(totalRows, Math.min(chunkRows, totalRows));
  }

  /**
   * The most rows a chunk may have so that neither its slice of A nor its slice of C
   * exceeds {@code maxChunkBytes} of float32.
   */
  public static int maxRowsWithin(int colsA, int colsB, long maxChunkBytes) {
    long rowBytes = (long) Math.max(colsA, colsB) * Float.BYTES;
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, maxChunkBytes / rowBytes));
  }

  /**
   * Chunk height chosen when the requestor gives none: about {@code chunksPerWorker} chunks
   * for every worker (so the fast ones take more and a lost one costs little), never more
   * than the byte budget allows, and never so thin that a chunk does less than
   * {@code minOpsPerChunk} multiply-adds when the job has more than that to give.
   */
  public static int autoChunkRows(int rowsA, int colsA, int colsB, int workers, int chunksPerWorker,
      long maxChunkBytes, long minOpsPerChunk) {
    int budgetRows = Math.max(1, maxRowsWithin(colsA, colsB, maxChunkBytes));
    long targetChunks = Math.max(1L, (long) Math.max(1, workers) * Math.max(1, chunksPerWorker));
    int rows = (int) Math.max(1, (rowsA + targetChunks - 1) / targetChunks);
    long opsPerRow = (long) colsA * colsB;
    int minRows = (int) Math.min(rowsA, Math.max(1, (minOpsPerChunk + opsPerRow - 1) / opsPerRow));
    rows = Math.max(rows, minRows);
    return Math.max(1, Math.min(Math.min(rows, budgetRows), rowsA));
  }

  public int totalRows() {
    return totalRows;
  }

  public int chunkRows() {
    return chunkRows;
  }

  public int size() {
    return chunks.size();
  }

  public Chunk get(int index) {
    return chunks.get(index);
  }

  public List<Chunk> chunks() {
    return chunks;
  }
}
