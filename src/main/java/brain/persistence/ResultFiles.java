package brain.persistence;

import brain.matrix.MatrixFiles;
import brain.model.Matrix;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
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
    return MatrixFiles.writeRaw(c, file);
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
