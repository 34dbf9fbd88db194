package brain.matrix;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Test helpers: a hand-made .npy writer (works without numpy) and a python3/numpy runner. */
final class NpyFixtures {
  private static Boolean numpy;

  private NpyFixtures() {}

  /** The header dict numpy writes. */
  static String dict(String descr, boolean fortran, String shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  }

  /** A .npy file: magic, version major.0, the dict padded with spaces to a multiple of 64 bytes, '\n', body. */
  static byte[] npy(int major, String dict, byte[] body) {
    byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    int prefix = major == 1 ? 10 : 12;
    int total = (prefix + text.length + 1 + 63) / 64 * 64;
    int headerLength = total - prefix;
    ByteBuffer b = ByteBuffer.allocate(total + body.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(NpyHeader.MAGIC).put((byte) major).put((byte) 0);
    if (major == 1) {
      b.putShort((short) headerLength);
    } else {
      b.putInt(headerLength);
    }
    b.put(text);
    while (b.position() < total - 1) {
      b.put((byte) ' ');
    }
    b.put((byte) '\n').put(body);
    return b.array();
  }

  static byte[] f4(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  static byte[] f8(double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putDouble(v);
    }
    return b.array();
  }

  static double[] widen(float[] values) {
    double[] d = new double[values.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = values[i];
    }
    return d;
  }

  static float[] columnMajor(float[] rowMajor, int rows, int cols) {
    float[] out = new float[rowMajor.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[j * rows + i] = rowMajor[i * cols + j];
      }
    }
    return out;
  }

  /** Deterministic values with a sign, a fraction, a -0.0 and a subnormal in them. */
  static float[] values(int rows, int cols, int seed) {
    float[] v = new float[rows * cols];
    long x = seed * 0x9E3779B97F4A7C15L + 1;
    for (int k = 0; k < v.length; k++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      v[k] = (float) ((x >>> 40) % 20001 - 10000) / 64f;
    }
    if (v.length > 2) {
      v[1] = -0.0f;
      v[2] = Float.MIN_VALUE;
    }
    return v;
  }

  static List<String> listing(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      List<String> names = new ArrayList<>();
      s.forEach(p -> names.add(p.getFileName().toString()));
      return names;
    }
  }

  /** Whether python3 with numpy runs here (checked once). */
  static synchronized boolean hasNumpy() {
    if (numpy == null) {
      try {
        Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        numpy = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
      } catch (IOException e) {
        numpy = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        numpy = false;
      }
    }
    return numpy;
  }

  static void assumeNumpy() {
    assumeTrue(hasNumpy(), "python3 with numpy is not available here: the numpy-made fixtures are skipped");
  }

  /** Runs a python3 script in dir with args; returns stdout; fails the test on a non-zero exit. */
  static String python(Path dir, String script, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("python3", "-c", script));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> {
      try (InputStream e = p.getErrorStream()) {
        e.transferTo(err);
      } catch (IOException ignored) {
        // the exit status tells
      }
    });
    drain.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("python3 did not finish in 300 s");
    }
    drain.join();
    if (p.exitValue() != 0) {
      throw new AssertionError("python3 failed (" + p.exitValue() + "): " + err.toString(StandardCharsets.UTF_8) + "\n" + out);
    }
    return out;
  }
}
