package brain.cli;

import java.io.Console;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on stderr, drawn by the {@code me.tongfei:progressbar} library, and only when this
 * process runs in a terminal: with output redirected or captured (scripts, CI, tests) nothing is
 * drawn and every call is a no-op.
 */
final class Progress {
  private Progress() {
  }

  /** A terminal is attached: {@link System#console()} (on Java 22+ also {@code Console.isTerminal()}). */
  static boolean interactive() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // Java 22+ answers a console even when redirected; isTerminal() tells the difference there
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // Java 17-21: a console means stdin and stdout are a terminal
    }
  }

  /** Unicode blocks where the terminal's charset has them, ASCII otherwise. */
  private static ProgressBarStyle style() {
    Console console = System.console();
    Charset charset = console == null ? Charset.defaultCharset() : console.charset();
    return charset.newEncoder().canEncode('█') || charset.equals(StandardCharsets.UTF_8)
        ? ProgressBarStyle.UNICODE_BLOCK : ProgressBarStyle.ASCII;
  }

  /** A bar counting bytes (in KiB, or MiB from 8 MiB on, with the speed), or a no-op one without a terminal. */
  static Bar bytes(boolean enabled, String task, long total) {
    if (!enabled) {
      return Bar.NONE;
    }
    boolean mib = total >= 8L * 1024 * 1024;
    ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(style())
        .setUnit(mib ? " MiB" : " KiB", mib ? 1024 * 1024 : 1024).showSpeed(new java.text.DecimalFormat("0.0")).setUpdateIntervalMillis(100)
        .continuousUpdate().build();
    return new Bar(bar);
  }

  /** A bar counting chunks, with the ETA the library projects from the rate so far. */
  static Bar chunks(boolean enabled, String task) {
    if (!enabled) {
      return Bar.NONE;
    }
    ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(-1).setStyle(style())
        .setUpdateIntervalMillis(200).continuousUpdate().build();
    return new Bar(bar);
  }

  /** A bar, or nothing. */
  static final class Bar implements AutoCloseable {
    static final Bar NONE = new Bar(null);
    private final ProgressBar bar;

    private Bar(ProgressBar bar) {
      this.bar = bar;
    }

    void max(long max) {
      if (bar != null && bar.getMax() != max) {
        bar.maxHint(max);
      }
    }

    void to(long value) {
      if (bar != null) {
        bar.stepTo(value);
      }
    }

    void message(String text) {
      if (bar != null) {
        bar.setExtraMessage(text);
      }
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
