package brain.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Requestor tokens: 256 random bits, shown once, stored only as their SHA-256. A fast hash is
 * right here (unlike for passwords): the token is random, so there is nothing to guess.
 */
public final class Tokens {
  public static final String ADMIN = "admin";
  public static final String REQUESTOR = "requestor";
  /** The cookie the dashboard's sign-in sets (HttpOnly, SameSite=Strict): the bridge reads it too. */
  public static final String COOKIE = "brain_session";

  private static final SecureRandom RANDOM = new SecureRandom();

  private Tokens() {}

  /** A new token: "brain_" and 43 characters of base64url. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "brain_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** What the database keeps of a token: its SHA-256, hex. */
  public static String hash(String token) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Whether a presented string can be a token at all (cheap, before any lookup). */
  public static boolean plausible(String token) {
    if (token == null || token.length() < 16 || token.length() > 200) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c > '~') {
        return false;
      }
    }
    return true;
  }
}
