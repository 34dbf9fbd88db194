package brain.matrix;

import brain.model.ApiError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The header of a NumPy {@code .npy} file (format 1.0, 2.0 or 3.0): the magic {@code \x93NUMPY},
 * the version, the header length and a Python literal dict with exactly the keys {@code 'descr'},
 * {@code 'fortran_order'} and {@code 'shape'}. Reading checks only the framing and the dict's
 * syntax and types; which dtypes and shapes a matrix may have is decided by {@link MatrixFiles}.
 * Every refusal is an {@link ApiError} 400 with a sentence a person can act on.
 */
public final class NpyHeader {
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** numpy itself refuses headers over 10000 bytes unless asked; a float matrix needs about 128. */
  static final int MAX_HEADER_LENGTH = 1 << 16;

  private final int major;
  private final int minor;
  private final Object descr;
  private final boolean fortranOrder;
  private final long[] shape;
  private final long dataOffset;

  private NpyHeader(int major, int minor, Object descr, boolean fortranOrder, long[] shape, long dataOffset) {
    this.major = major;
    this.minor = minor;
    this.descr = descr;
    this.fortranOrder = fortranOrder;
    this.shape = shape;
    this.dataOffset = dataOffset;
  }

  public int major() {
    return major;
  }

  public int minor() {
    return minor;
  }

  /** The descr as written: a String such as {@code "<f4"}, or a list for a structured dtype. */
  public Object descr() {
    return descr;
  }

  /** The descr shown the way Python prints it, for messages. */
  public String descrText() {
    return PyLiteral.repr(descr);
  }

  public boolean fortranOrder() {
    return fortranOrder;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** Where the array data starts in the file. */
  public long dataOffset() {
    return dataOffset;
  }

  /** The shape as Python prints a tuple: {@code (3,)}, {@code (3, 4)}, {@code ()}. */
  public String shapeText() {
    return shapeText(shape);
  }

  static String shapeText(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return s.append(')').toString();
  }

  /** Reads and parses the header at the start of {@code in} (positional reads; the channel's position is untouched). */
  public static NpyHeader read(FileChannel in) throws IOException {
    long size = in.size();
    ByteBuffer prefix = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    readUpTo(in, prefix, 0);
    prefix.flip();
    int got = prefix.remaining();
    byte[] first = new byte[Math.min(got, 6)];
    prefix.get(first);
    if (got < 6 || !Arrays.equals(first, MAGIC)) {
      throw new ApiError(400, wrongMagic(first, size));
    }
    if (got < 8) {
      throw new ApiError(400, "truncated .npy header: the file is only " + size + " bytes");
    }
    int major = prefix.get() & 0xff;
    int minor = prefix.get() & 0xff;
    if (!(minor == 0 && (major == 1 || major == 2 || major == 3))) {
      throw new ApiError(400, "unsupported .npy format version " + major + "." + minor
          + "; accepted versions are 1.0, 2.0 and 3.0");
    }
    int lengthBytes = major == 1 ? 2 : 4;
    if (got < 8 + lengthBytes) {
      throw new ApiError(400, "truncated .npy header: the file is only " + size + " bytes");
    }
    long headerLength = major == 1 ? prefix.getShort() & 0xffff : prefix.getInt() & 0xffffffffL;
    if (headerLength > MAX_HEADER_LENGTH) {
      throw new ApiError(400, "the .npy header claims to be " + headerLength + " bytes, more than the "
          + MAX_HEADER_LENGTH + " accepted; a float matrix needs about 128");
    }
    long dataOffset = 8 + lengthBytes + headerLength;
    if (size < dataOffset) {
      throw new ApiError(400, "truncated .npy header: it should be " + headerLength + " bytes but the file ends after "
          + Math.max(0, size - 8 - lengthBytes));
    }
    ByteBuffer header = ByteBuffer.allocate((int) headerLength);
    readUpTo(in, header, 8 + lengthBytes);
    if (header.hasRemaining()) {
      throw new ApiError(400, "truncated .npy header");
    }
    header.flip();
    String text;
    if (major == 3) {
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(header)
            .toString();
      } catch (CharacterCodingException e) {
        throw new ApiError(400, "malformed .npy header: a format 3.0 header must be UTF-8");
      }
    } else {
      text = StandardCharsets.ISO_8859_1.decode(header).toString();
    }
    return parse(major, minor, text, dataOffset);
  }

  /** Parses the dict text of a header; package-private for tests. */
  static NpyHeader parse(int major, int minor, String text, long dataOffset) {
    Map<String, Object> dict = new PyLiteral(text).dict();
    for (String key : List.of("descr", "fortran_order", "shape")) {
      if (!dict.containsKey(key)) {
        throw malformed("the key '" + key + "' is missing", text);
      }
    }
    for (String key : dict.keySet()) {
      if (!List.of("descr", "fortran_order", "shape").contains(key)) {
        throw malformed("unexpected key '" + key + "' (only 'descr', 'fortran_order' and 'shape' belong there)", text);
      }
    }
    Object descr = dict.get("descr");
    if (!(descr instanceof String) && !(descr instanceof PyLiteral.PyList)) {
      throw malformed("'descr' must be a string or a list, got " + PyLiteral.repr(descr), text);
    }
    if (!(dict.get("fortran_order") instanceof Boolean)) {
      throw malformed("'fortran_order' must be True or False, got " + PyLiteral.repr(dict.get("fortran_order")), text);
    }
    Object shapeValue = dict.get("shape");
    if (!(shapeValue instanceof PyLiteral.PyTuple)) {
      throw malformed("'shape' must be a tuple of integers, got " + PyLiteral.repr(shapeValue), text);
    }
    List<Object> items = ((PyLiteral.PyTuple) shapeValue).items();
    long[] shape = new long[items.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(items.get(i) instanceof Long)) {
        throw malformed("'shape' must be a tuple of integers, got " + PyLiteral.repr(shapeValue), text);
      }
      shape[i] = (Long) items.get(i);
      if (shape[i] < 0) {
        throw malformed("'shape' " + PyLiteral.repr(shapeValue) + " has a negative dimension", text);
      }
    }
    return new NpyHeader(major, minor, descr, (Boolean) dict.get("fortran_order"), shape, dataOffset);
  }

  /**
   * The format 1.0 header of a C-order {@code '<f4'} matrix, numpy's layout exactly: magic, version
   * 1.0, uint16 LE header length, the dict, spaces up to a multiple of 64 bytes in all, {@code '\n'}.
   */
  public static byte[] format1(int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("negative dimension " + rows + "x" + cols);
    }
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
    int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
    int total = (unpadded + 63) / 64 * 64;
    int headerLength = total - MAGIC.length - 4;
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLength);
    out.put(dict.getBytes(StandardCharsets.ISO_8859_1));
    while (out.remaining() > 1) {
      out.put((byte) ' ');
    }
    out.put((byte) '\n');
    return out.array();
  }

  private static void readUpTo(FileChannel in, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      int n = in.read(buf, position);
      if (n < 0) {
        return;
      }
      position += n;
    }
  }

  private static String wrongMagic(byte[] first, long size) {
    if (size == 0) {
      return "not a .npy file: the upload is empty";
    }
    StringBuilder hex = new StringBuilder();
    for (byte b : first) {
      hex.append(hex.length() == 0 ? "" : " ").append(String.format("%02x", b & 0xff));
    }
    String hint = first.length >= 2 && first[0] == 'P' && first[1] == 'K'
        ? " (it looks like a zip archive, e.g. .npz: send a single array written by numpy.save)"
        : "";
    return "not a .npy file: it must start with the magic \\x93NUMPY (93 4e 55 4d 50 59), the upload starts with "
        + hex + hint;
  }

  static ApiError malformed(String what, String text) {
    String shown = text.strip();
    if (shown.length() > 200) {
      shown = shown.substring(0, 200) + "…";
    }
    StringBuilder printable = new StringBuilder();
    for (char c : shown.toCharArray()) {
      if (c < 0x20 || c == 0x7f) {
        printable.append(String.format("\\x%02x", (int) c));
      } else {
        printable.append(c);
      }
    }
    return new ApiError(400, "malformed .npy header: " + what + " in " + printable);
  }
}
