package brain.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import brain.model.JobMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JobTallyTest {
  private static final long MS = 1_000_000L;

  @Test
  @DisplayName("a worker's time on a job ends when its last accepted result arrived, not when the server finished checking and storing it")
  void windowEndsAtArrival() {
    JobTally tally = new JobTally();
    tally.start(2);
    long first = System.nanoTime() - 900 * MS; // sent long ago: the server took its time after the results came
    long second = first + 100 * MS;
    tally.leaseOpened("s-1", first, 0);
    tally.leaseOpened("s-1", second, 0);
    tally.accepted(0, "s-1", first, 1000, 60, 0, 150, 0);   // arrived at first + 150 ms
    tally.accepted(1, "s-1", second, 1000, 60, 30, 140, 0); // arrived at first + 240 ms: the window's end
    JobMetrics metrics = tally.metrics(1000, 2);
    assertEquals(120, metrics.computeTimeMs(), 1e-9);
    assertEquals(240 - 120, metrics.networkTimeMs(), 1e-6);
    assertEquals(50, metrics.efficiencyRatio(), 1e-6);
  }
}
