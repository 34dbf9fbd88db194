package brain.matrix;

import brain.model.ApiError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict parser for the Python literals a header holds: one dict with string keys, whose
 * values are strings, integers, True/False/None, tuples and lists. Whitespace and trailing commas
 * are allowed where Python allows them; nothing else (no expressions, no escapes but \\ \' \").
 */
final class PyLiteral {
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


  private final String text;
  private int at;
  private int depth;

  PyLiteral(String text) {
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
        throw NpyHeader.malformed("the key '" + k + "' appears twice", text);
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
    return NpyHeader.malformed("expected " + expected + " at character " + at, text);
  }
}
