package brain.scheduler;

import java.util.Arrays;

/**
 * What one job's messages take on a worker's socket, measured once per job: all parts of each B
 * panel. Confined to the scheduler's event loop.
 */
final class JobWire {
  private long[] bWire;

  /** Bytes all parts of one B panel of {@code job} take on one worker's socket: the same for every worker of the job. */
  long bWireBytes(RunningJob job, String address, int panel) {
    JobInputs inputs = job.inputs;
    if (bWire == null) {
      bWire = new long[inputs.panels().size()];
      Arrays.fill(bWire, -1);
    }
    if (bWire[panel] < 0) {
      bWire[panel] = 0;
      for (JobInputs.BPart part : inputs.panels().get(panel).parts()) {
        bWire[panel] += WorkerMessages.wireBytes(address, WorkerMessages.bPart(job, inputs.panels().get(panel), part));
      }
    }
    return bWire[panel];
  }
}
