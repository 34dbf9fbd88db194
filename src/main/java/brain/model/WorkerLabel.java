package brain.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Public names for a worker identity. A worker id is what a worker presents to be itself again
 * (its record of verified work rides on it), so public views show a short, stable label derived
 * from it instead: one-way, so reading it gives no way to pose as that worker.
 */
public final class WorkerLabel {
  private WorkerLabel() {}

  /** "w-" and 6 characters of the base64url SHA-256 of the id. */
  public static String of(String workerId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(workerId.getBytes(StandardCharsets.UTF_8));
      return "w-" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
