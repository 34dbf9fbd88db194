package brain.model;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Timestamps as fixed-width UTC ISO-8601 text: readable in the database, sortable as text. */
public final class Times {
  private static final DateTimeFormatter ISO =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Times() {}

  public static String iso(long epochMillis) {
    return ISO.format(Instant.ofEpochMilli(epochMillis));
  }

  public static String now() {
    return iso(System.currentTimeMillis());
  }

  public static long epochMillis(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }
}
