package brain.matrix;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;

/** Run in a child JVM with a small -Xmx by LargeImportTest: imports one .npy and prints what it took. */
public final class LargeImportMain {
  public static void main(String[] args) {
    long start = System.nanoTime();
    MatrixFiles.Imported got = MatrixFiles.importNpy(Path.of(args[0]), Path.of(args[1]),
        new MatrixFiles.Limits(65536, 1L << 30));
    long ms = (System.nanoTime() - start) / 1_000_000;
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.println(got.id() + " " + got.sha256() + " " + got.bytes() + " " + ms + " " + peak
        + " " + Runtime.getRuntime().maxMemory());
  }
}
