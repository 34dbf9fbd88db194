package brain.matrix;

import brain.model.ApiError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
    return repr(descr);
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
    Map<String, Object> dict = new Literal(text).dict();
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
    if (!(descr instanceof String) && !(descr instanceof PyList)) {
      throw malformed("'descr' must be a string or a list, got " + repr(descr), text);
    }
    if (!(dict.get("fortran_order") instanceof Boolean)) {
      throw malformed("'fortran_order' must be True or False, got " + repr(dict.get("fortran_order")), text);
    }
    Object shapeValue = dict.get("shape");
    if (!(shapeValue instanceof PyTuple)) {
      throw malformed("'shape' must be a tuple of integers, got " + repr(shapeValue), text);
    }
    List<Object> items = ((PyTuple) shapeValue).items();
    long[] shape = new long[items.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(items.get(i) instanceof Long)) {
        throw malformed("'shape' must be a tuple of integers, got " + repr(shapeValue), text);
      }
      shape[i] = (Long) items.get(i);
      if (shape[i] < 0) {
        throw malformed("'shape' " + repr(shapeValue) + " has a negative dimension", text);
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

  private static ApiError malformed(String what, String text) {
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

  record PyTuple(List<Object> items) {}

  record PyList(List<Object> items) {}

  private static final Object NONE = new Object() {
    @Override
    public String toString() {
      return "None";
    }
  };

  static String repr(Object v) {
    if (v instanceof String s) {
      return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
    if (v instanceof Boolean b) {
      return b ? "True" : "False";
    }
    if (v instanceof PyTuple t) {
      StringBuilder s = new StringBuilder("(");
      for (int i = 0; i < t.items().size(); i++) {
        s.append(i == 0 ? "" : ", ").append(repr(t.items().get(i)));
      }
      return s.append(t.items().size() == 1 ? ",)" : ")").toString();
    }
    if (v instanceof PyList l) {
      StringBuilder s = new StringBuilder("[");
      for (int i = 0; i < l.items().size(); i++) {
        s.append(i == 0 ? "" : ", ").append(repr(l.items().get(i)));
      }
      return s.append("]").toString();
    }
    if (v instanceof Map<?, ?>) {
      return "{…}";
    }
    return String.valueOf(v);
  }

  /**
   * A small strict parser for the Python literals a header holds: one dict with string keys, whose
   * values are strings, integers, True/False/None, tuples and lists. Whitespace and trailing commas
   * are allowed where Python allows them; nothing else (no expressions, no escapes but \\ \' \").
   */
  private static final class Literal {
    private final String text;
    private int at;
    private int depth;

    Literal(String text) {
      this.text = text;
    }

    Map<String, Object> dict() {
      skipSpace();
      expect('{');
      Map<String, Object> dict = new HashMap<>();
      skipSpace();
      while (peek() != '}') {
        int keyAt = at;
        Object key = value();
        if (!(key instanceof String k)) {
          at = keyAt;
          throw fail("a string key");
        }
        skipSpace();
        expect(':');
        skipSpace();
        Object value = value();
        if (dict.put(k, value) != null) {
          throw malformed("the key '" + k + "' appears twice", text);
        }
        skipSpace();
        if (peek() == ',') {
          at++;
          skipSpace();
        } else if (peek() != '}') {
          throw fail("',' or '}'");
        }
      }
      at++;
      skipSpace();
      if (at != text.length()) {
        throw fail("the end of the header after the dict");
      }
      return dict;
    }

    private Object value() {
      char c = peek();
      if (c == '\'' || c == '"') {
        return string();
      }
      if (c == '(' || c == '[') {
        return sequence(c);
      }
      if (c == '-' || (c >= '0' && c <= '9')) {
        return integer();
      }
      if (text.startsWith("True", at)) {
        at += 4;
        return Boolean.TRUE;
      }
      if (text.startsWith("False", at)) {
        at += 5;
        return Boolean.FALSE;
      }
      if (text.startsWith("None", at)) {
        at += 4;
        return NONE;
      }
      throw fail("a string, an integer, True, False, a tuple or a list");
    }

    private Object sequence(char open) {
      if (++depth > 32) {
        throw fail("less nesting");
      }
      char close = open == '(' ? ')' : ']';
      at++;
      List<Object> items = new ArrayList<>();
      boolean comma = false;
      skipSpace();
      while (peek() != close) {
        items.add(value());
        skipSpace();
        if (peek() == ',') {
          comma = true;
          at++;
          skipSpace();
        } else if (peek() != close) {
          throw fail("',' or '" + close + "'");
        }
      }
      at++;
      depth--;
      if (open == '[') {
        return new PyList(items);
      }
      // (x) is x in Python, not a tuple; (x,) and () and (x, y) are tuples
      return items.size() == 1 && !comma ? items.get(0) : new PyTuple(items);
    }

    private Long integer() {
      int start = at;
      boolean negative = peek() == '-';
      if (negative) {
        at++;
      }
      int digitsAt = at;
      long v = 0;
      boolean overflow = false;
      while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
        int d = text.charAt(at++) - '0';
        if (v > (Long.MAX_VALUE - d) / 10) {
          overflow = true;
        } else {
          v = v * 10 + d;
        }
      }
      if (at == digitsAt) {
        at = start;
        throw fail("an integer");
      }
      if (text.charAt(digitsAt) == '0' && at - digitsAt > 1) {
        at = start;
        throw fail("an integer without leading zeros");
      }
      if (at < text.length() && text.charAt(at) == 'L') {
        at++; // Python 2 long, written by old numpy in format 1.0 files
      }
      if (overflow) {
        v = Long.MAX_VALUE; // far beyond any limit: refused as too large, not as malformed
      }
      return negative ? -v : v;
    }

    private String string() {
      char quote = text.charAt(at++);
      StringBuilder s = new StringBuilder();
      while (true) {
        if (at >= text.length() || text.charAt(at) == '\n') {
          throw fail("the closing quote " + quote);
        }
        char c = text.charAt(at++);
        if (c == quote) {
          return s.toString();
        }
        if (c == '\\') {
          char e = at < text.length() ? text.charAt(at) : 0;
          if (e != '\\' && e != '\'' && e != '"') {
            at--;
            throw fail("no escape other than \\\\, \\' or \\\"");
          }
          at++;
          s.append(e);
        } else {
          s.append(c);
        }
      }
    }

    private char peek() {
      if (at >= text.length()) {
        throw fail("more text (the header ends early)");
      }
      return text.charAt(at);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw fail("'" + c + "'");
      }
      at++;
    }

    private void skipSpace() {
      while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
    }

    private ApiError fail(String expected) {
      return malformed("expected " + expected + " at character " + at, text);
    }
  }
}
