package brain.persistence;

import brain.matrix.MatrixFiles;
import brain.model.Matrix;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Where results and materialised inputs live under {@code storage.dir}, and the blocking file
 * work on them (call from worker threads only): {@code results/<jobId>.f32} (raw float32,
 * row-major), {@code inputs/<jobId>-a.f32} and {@code -b.f32}; a running job's checkpoint,
 * {@code results/<jobId>.part} and {@code .chunks}, is {@link brain.checkpoint.ChunkLog}'s.
 */
public final class ResultFiles {
  private ResultFiles() {}

  /** The result file's path relative to storage.dir, as the database records it. */
  public static String relativePath(String jobId) {
    return "results/" + jobId + MatrixFiles.SUFFIX;
  }

  public static Path resultFile(Path storageDir, String jobId) {
    return storageDir.resolve(relativePath(jobId));
  }

  /** {@code which}: "a" or "b". */
  public static Path inputFile(Path storageDir, String jobId, String which) {
    return storageDir.resolve("inputs").resolve(jobId + "-" + which + MatrixFiles.SUFFIX);
  }

  /** A recorded path (relative to storage.dir, or absolute) as a file. */
  public static Path resolve(Path storageDir, String recorded) {
    return storageDir.resolve(recorded);
  }

  /** Blocking: writes C atomically and answers the SHA-256 (hex) of the file's bytes. */
  public static String write(Matrix c, Path file) {
    return MatrixFiles.writeRawDigested(c, file);
  }

  /**
   * Blocking: stores C by linking, as {@code file}, the job's checkpoint part file, which holds
   * C's rows in place and was forced chunk by chunk, once its bytes are read back and found to be
   * exactly C's (the product served is the product checked). Answers their SHA-256 (hex), or
   * null when the part file cannot serve (absent, another size or content, no hard links on this
   * file system): then C must be {@link #write written}. Writing C again took 4.6 ms of a 512³
   * job's 38 on these machines; reading it back about 1.
   */
  public static String adopt(Path part, Matrix c, Path file) {
    Path link = file.resolveSibling(".link-" + System.nanoTime() + ".tmp");
    try {
      if (!Files.isRegularFile(part) || Files.size(part) != (long) c.data().length * Float.BYTES) {
        return null;
      }
      String sha = shaIfSame(part, c.data());
      if (sha == null) {
        return null;
      }
      Files.createLink(link, part);
      Files.move(link, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return sha;
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    } finally {
      deleteQuietly(link);
    }
  }

  /** The SHA-256 of {@code file} if it holds exactly {@code values} as little-endian float32, else null. */
  private static String shaIfSame(Path file, float[] values) throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(4, values.length * 4L)))
          .order(ByteOrder.LITTLE_ENDIAN);
      float[] read = new float[buf.capacity() / Float.BYTES];
      for (int done = 0; done < values.length; ) {
        int count = Math.min(values.length - done, read.length);
        buf.clear().limit(count * Float.BYTES);
        while (buf.hasRemaining()) {
          if (in.read(buf) < 0) {
            return null;
          }
        }
        buf.flip();
        buf.asFloatBuffer().get(read, 0, count);
        if (!Arrays.equals(read, 0, count, values, done, done + count)) {
          return null;
        }
        digest.update(buf);
        done += count;
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Blocking: the SHA-256 (hex) of a file, read through a small buffer. */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Blocking: deletes the files of one job (result and materialised inputs); answers how many were there. */
  public static int deleteJobFiles(Path storageDir, String jobId, String recordedResult) {
    int deleted = 0;
    List<Path> files = new ArrayList<>(List.of(resultFile(storageDir, jobId), inputFile(storageDir, jobId, "a"),
        inputFile(storageDir, jobId, "b")));
    if (recordedResult != null) {
      files.add(resolve(storageDir, recordedResult));
    }
    for (Path file : files) {
      if (deleteQuietly(file)) {
        deleted++;
      }
    }
    return deleted + brain.checkpoint.ChunkLog.delete(storageDir, jobId);
  }

  /**
   * Blocking: deletes {@code .f32} files directly in {@code dir} whose name (less the suffix)
   * passes {@code orphan}, and that are older than {@code minAgeMillis} (a file just imported
   * may not have its row yet). Answers how many were deleted.
   */
  public static int deleteOrphans(Path dir, java.util.function.Predicate<String> orphan, long minAgeMillis) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long cutoff = System.currentTimeMillis() - minAgeMillis;
    int deleted = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + MatrixFiles.SUFFIX)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        String stem = name.substring(0, name.length() - MatrixFiles.SUFFIX.length());
        if (Files.isRegularFile(file) && orphan.test(stem)
            && Files.getLastModifiedTime(file).toMillis() < cutoff && deleteQuietly(file)) {
          deleted++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return deleted;
  }

  /** An input file's stem {@code <jobId>-a} or {@code -b}: the job id. */
  static String jobOfInput(String stem) {
    return stem.length() > 2 && (stem.endsWith("-a") || stem.endsWith("-b")) ? stem.substring(0, stem.length() - 2) : stem;
  }

  static boolean orphanInput(String stem, Set<String> jobs) {
    return !jobs.contains(jobOfInput(stem));
  }

  static boolean deleteQuietly(Path file) {
    try {
      return Files.deleteIfExists(file);
    } catch (IOException e) {
      return false;
    }
  }
}
