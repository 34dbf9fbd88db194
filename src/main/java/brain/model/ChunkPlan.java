package brain.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How C is cut into chunks. Usually consecutive row slices of A (every chunk is A's rows × all
 * of B); for a job whose B does not fit a worker, 2-D blocks: a row panel of A × a column panel
 * of B, listed column panel by column panel, so a worker keeps its B panel across consecutive
 * blocks.
 */
public final class ChunkPlan {

  /** One chunk: C's rows {@code rowStart..+rows} × columns {@code colStart..+cols} (all columns for a row slice). */
  public record Chunk(int index, int rowStart, int rows, int colStart, int cols) {
    /** The column panel of B it needs (0 for a row slice). */
    public int panel(ChunkPlan plan) {
      return colStart / plan.blockCols;
    }
  }

  private final int totalRows;
  private final int totalCols;
  private final int chunkRows;
  private final int blockCols;
  private final List<Chunk> chunks;

  private ChunkPlan(int totalRows, int totalCols, int chunkRows, int blockCols) {
    this.totalRows = totalRows;
    this.totalCols = totalCols;
    this.chunkRows = chunkRows;
    this.blockCols = blockCols;
    List<Chunk> list = new ArrayList<>();
    for (int col = 0; col < totalCols; col += blockCols) {
      for (int start = 0; start < totalRows; start += chunkRows) {
        list.add(new Chunk(list.size(), start, Math.min(chunkRows, totalRows - start), col,
            Math.min(blockCols, totalCols - col)));
      }
    }
    this.chunks = Collections.unmodifiableList(list);
  }

  /** Row slices of {@code chunkRows} rows; each chunk spans all {@code totalCols} columns of C. */
  public static ChunkPlan of(int totalRows, int totalCols, int chunkRows) {
    return blocks(totalRows, totalCols, chunkRows, totalCols);
  }

  /** Row slices, for callers that do not care about C's columns (one column). */
  public static ChunkPlan of(int totalRows, int chunkRows) {
    return of(totalRows, 1, chunkRows);
  }

  /** Blocks of {@code blockRows} × {@code blockCols}, column panel by column panel. */
  public static ChunkPlan blocks(int totalRows, int totalCols, int blockRows, int blockCols) {
    if (totalRows < 1 || totalCols < 1 || blockRows < 1 || blockCols < 1) {
      throw new IllegalArgumentException("rows, columns and block sides must be positive");
    }
    return new ChunkPlan(totalRows, totalCols, Math.min(blockRows, totalRows), Math.min(blockCols, totalCols));
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
   * Bytes a worker holds for one chunk of {@code rows} × {@code cols} with inner dimension
   * {@code k}: its A panel (rows × k), its B panel (k × cols) and its C block (rows × cols), float32.
   */
  public static long chunkMemoryBytes(int rows, int k, int cols) {
    return ((long) rows * k + (long) k * cols + (long) rows * cols) * Float.BYTES;
  }

  /**
   * The most rows a row slice (all {@code n} columns, all of B) may have within {@code budget}
   * bytes of worker memory; 0 when not even one row fits beside B.
   */
  public static int maxSliceRowsWithin(int k, int n, long budget) {
    long left = budget / Float.BYTES - (long) k * n;
    return left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, left / ((long) k + n));
  }

  /**
   * Block sides {rows, cols} for an m×k·k×n product whose chunks must fit {@code budget} bytes
   * ({@link #chunkMemoryBytes}) and whose A panel and B panel must each fit {@code maxPanelBytes}
   * (one message): as square as the budget allows (the fewest bytes moved per multiply-add),
   * then widened where C is narrower, then evened out over the panels that makes; null when not
   * even a 1×1 block fits.
   */
  public static int[] blockSides(int m, int k, int n, long budget, long maxPanelBytes) {
    long words = budget / Float.BYTES;
    long panelWords = maxPanelBytes / Float.BYTES;
    if (chunkMemoryBytes(1, k, 1) > budget || k > panelWords) {
      return null;
    }
    // s² + 2ks ≤ words: the square side.
    long s = (long) Math.floor(Math.sqrt((double) k * k + words) - k);
    while (s > 1 && chunkMemoryBytes((int) Math.min(s, Integer.MAX_VALUE), k, (int) Math.min(s, Integer.MAX_VALUE)) > budget) {
      s--;
    }
    s = Math.max(1, Math.min(s, panelWords / k));
    int rows = (int) Math.min(s, m);
    // The widest column panel beside that row panel.
    long cols = Math.min((words - (long) rows * k) / ((long) k + rows), panelWords / k);
    cols = Math.max(1, Math.min(cols, n));
    if (cols >= n) {
      // Widened to all of C: rows may grow again.
      long r = Math.min((words - (long) k * n) / ((long) k + n), panelWords / k);
      rows = (int) Math.max(rows, Math.min(r, m));
    }
    // Evened out: as many panels, of nearly equal sides (no sliver of a last panel).
    rows = ceilDiv(m, ceilDiv(m, rows));
    int c = ceilDiv(n, ceilDiv(n, (int) cols));
    return new int[] {rows, c};
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
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

  public int totalCols() {
    return totalCols;
  }

  public int chunkRows() {
    return chunkRows;
  }

  /** Columns of a block; all of C's columns for a row-slice plan. */
  public int blockCols() {
    return blockCols;
  }

  /** Whether chunks are 2-D blocks (B is cut into column panels). */
  public boolean blocked() {
    return blockCols < totalCols;
  }

  /** Column panels of B: 1 for a row-slice plan. */
  public int panels() {
    return (totalCols + blockCols - 1) / blockCols;
  }

  /** Row panels of A. */
  public int rowPanels() {
    return (totalRows + chunkRows - 1) / chunkRows;
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

  /** The chunks that hold row {@code row} of C (one for a row-slice plan, one per column panel for blocks). */
  public List<Integer> chunksOfRow(int row) {
    int rowPanel = row / chunkRows;
    int per = rowPanels();
    List<Integer> out = new ArrayList<>(panels());
    for (int p = 0; p < panels(); p++) {
      out.add(p * per + rowPanel);
    }
    return out;
  }
}
