package brain.blas;

import java.util.Locale;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Whether OpenBLAS, the native library JavaCPP's presets ship inside
 * {@code org.bytedeco:openblas}'s platform jar (linux-x86_64 is bundled), loads in this process:
 * loaded once, on first use, unless switched off. Used by the workers' float32 engine and by the
 * server's checks (their projection products, in double).
 */
public final class OpenBlas {
  /** Whether OpenBLAS loaded in this process, and if not, why; {@code version} e.g. "0.3.31". */
  public record Availability(boolean loaded, String version, String reason) {
    /**
     * The reason without the library path a loader lists, at most 60 characters: a worker's
     * description must fit the 120 characters the server keeps of it.
     */
    public String shortReason() {
      if (reason == null) {
        return null;
      }
      String text = reason.replaceFirst(" in java\\.library\\.path.*", "");
      return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    static Availability ok(String version) {
      return new Availability(true, version, null);
    }

    static Availability no(String reason) {
      return new Availability(false, null, reason);
    }
  }

  /** Loads the native library; throws whatever the loader throws. */
  @FunctionalInterface
  public interface NativeLoader {
    void load() throws Throwable;
  }

  /** The real loader: JavaCPP extracts the platform's libraries from the classpath and loads them. */
  public static final NativeLoader JAVACPP = () -> Loader.load(openblas_nolapack.class);

  static {
    // JavaCPP caps off-heap memory at the heap's size (and the process's RSS at twice that) and
    // throws OutOfMemoryError past it: a worker started with a small -Xmx would fail on large
    // slices. The buffers here are pooled and bounded by the slices themselves; set either
    // property to keep a cap.
    for (String property : new String[] {"org.bytedeco.javacpp.maxBytes", "org.bytedeco.javacpp.maxPhysicalBytes"}) {
      if (System.getProperty(property) == null && System.getProperty(property.toLowerCase(Locale.ROOT)) == null) {
        System.setProperty(property, "0");
      }
    }
  }

  private static final Object LOCK = new Object();
  private static Availability loaded; // the result of loading the real library, once per process

  /**
   * Whether OpenBLAS can be used here: loads it on the first call (then answers the same).
   * Answers "not loaded" without trying when {@link #disabledBy()} names a switch.
   */
  public static Availability availability() {
    String disabled = disabledBy();
    if (disabled != null) {
      return Availability.no("disabled by " + disabled);
    }
    synchronized (LOCK) {
      if (loaded == null) {
        loaded = probe(JAVACPP);
      }
      return loaded;
    }
  }

  /**
   * Runs {@code loader} and answers what came of it: never throws, whatever the loader throws
   * (UnsatisfiedLinkError where the platform's natives are missing, NoClassDefFoundError where
   * JavaCPP is, ...). Tests pass a loader that fails.
   */
  public static Availability probe(NativeLoader loader) {
    try {
      loader.load();
      return Availability.ok(openblas_nolapack.OPENBLAS_VERSION.strip().replace("OpenBLAS ", ""));
    } catch (Throwable e) {
      if (e instanceof VirtualMachineError && !(e instanceof OutOfMemoryError)) {
        throw (VirtualMachineError) e;
      }
      return Availability.no(reason(e));
    }
  }

  /**
   * The switch that keeps the native library out, or null: {@code -Dbrain.noNative=true} or the
   * variable {@code BRAIN_NO_NATIVE=1}.
   */
  public static String disabledBy() {
    String property = System.getProperty("brain.noNative");
    if (property != null && !property.isBlank() && !"false".equalsIgnoreCase(property) && !"0".equals(property)) {
      return "-Dbrain.noNative=" + property;
    }
    String env = System.getenv("BRAIN_NO_NATIVE");
    if (env != null && !env.isBlank() && !"0".equals(env) && !"false".equalsIgnoreCase(env)) {
      return "BRAIN_NO_NATIVE=" + env;
    }
    return null;
  }

  /** A short reason for the description and the log: the error's class and first line. */
  public static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : root.getMessage().lines().findFirst().orElse("").strip();
    String text = root.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
    return text.length() > 400 ? text.substring(0, 397) + "..." : text;
  }

  private OpenBlas() {}
}
