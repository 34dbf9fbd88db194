package brain.bench;

import java.util.List;

/** A table as the benchmark prints it: Markdown, columns padded to their widest cell, the first line the head. */
final class TextTable {
  private TextTable() {}

  static String render(List<String[]> lines) {
    int columns = lines.get(0).length;
    int[] widths = new int[columns];
    for (String[] line : lines) {
      for (int i = 0; i < line.length; i++) {
        widths[i] = Math.max(widths[i], line[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (int l = 0; l < lines.size(); l++) {
      out.append('|');
      for (int i = 0; i < columns; i++) {
        out.append(' ').append(String.format("%-" + widths[i] + "s", lines.get(l)[i])).append(" |");
      }
      out.append('\n');
      if (l == 0) {
        out.append('|');
        for (int width : widths) {
          out.append(' ').append("-".repeat(width)).append(" |");
        }
        out.append('\n');
      }
    }
    return out.toString();
  }
}
