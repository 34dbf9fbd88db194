package brain.scheduler;

import brain.config.BrainConfig;
import brain.trust.TrustRegistry;
import io.vertx.core.json.JsonObject;

/** The scheduler's knobs, read once from configuration. */
record SchedulerSettings(int defaultSlots, int maxSlotsPerWorker, long maxChunkBytes, int chunksPerWorker,
    long minOpsPerChunk, int maxRunningJobs, int maxQueuedJobs, long leaseMs, long creditFlushMs, int chunkVectors,
    long fullMaxOps, int freivaldsVectors, int maxChunkFailures, int maxWorkers, int timelineCapacity,
    long heartbeatIntervalMs, long heartbeatTimeoutMs, long maxMessageBytes, double speculationFactor,
    double speculationMinDoneFraction, long speculationMinMs, int maxWorkerFailures, long workerExclusionMs,
    long bPartBytes, int groupColumns, int probationVectors, int probationFullRows, int suspectVectors,
    int suspectFullRows, int maxFinalCheckRounds, TrustRegistry.Settings trust, String workerKey,
    java.nio.file.Path storageDir, long minMemoryBytes, long inlineMaxBytes, long heldInputsMaxBytes) {

  static SchedulerSettings from(JsonObject config) {
    BrainConfig.Reader c = new BrainConfig.Reader(config);
    return new SchedulerSettings(
        c.integer("scheduler.defaultSlots"),
        c.integer("scheduler.maxSlotsPerWorker"),
        c.longValue("scheduler.maxChunkBytes"),
        c.integer("scheduler.chunksPerWorker"),
        c.longValue("scheduler.minOpsPerChunk"),
        c.integer("scheduler.maxRunningJobs"),
        c.integer("scheduler.maxQueuedJobs"),
        c.longValue("scheduler.leaseMs"),
        c.longValue("scheduler.creditFlushMs"),
        c.integer("verify.chunkVectors"),
        c.longValue("verify.fullMaxOps"),
        c.integer("verify.freivaldsVectors"),
        c.integer("scheduler.maxChunkFailures"),
        c.integer("scheduler.maxWorkers"),
        c.integer("scheduler.timelineCapacity"),
        c.longValue("heartbeat.intervalMs"),
        c.longValue("heartbeat.timeoutMs"),
        c.longValue("bridge.maxMessageBytes"),
        c.number("scheduler.speculation.factor"),
        c.number("scheduler.speculation.minDoneFraction"),
        c.longValue("scheduler.speculation.minMs"),
        c.integer("scheduler.maxWorkerFailures"),
        c.longValue("scheduler.workerExclusionMs"),
        Math.min(c.longValue("scheduler.bPartBytes"), c.longValue("scheduler.maxChunkBytes")),
        c.integer("verify.groupColumns"),
        c.integer("trust.probation.vectors"),
        c.integer("trust.probation.fullRows"),
        c.integer("trust.suspect.vectors"),
        c.integer("trust.suspect.fullRows"),
        c.integer("verify.maxFinalCheckRounds"),
        new TrustRegistry.Settings(
            c.integer("trust.probationChunks"),
            c.longValue("trust.exclusionMs"),
            c.integer("trust.suspectAfterExclusions"),
            c.longValue("trust.addressMemoryMs"),
            c.integer("trust.suspectJoinsPerMinute")),
        c.string("auth.workerKey"),
        java.nio.file.Path.of(c.string("storage.dir")),
        c.longValue("scheduler.minMemoryBytes"),
        c.longValue("scheduler.inlineMaxBytes"),
        c.longValue("scheduler.heldInputsMaxBytes"));
  }

  /** A private grid: workers must present this key when they register. */
  boolean privateGrid() {
    return workerKey != null && !workerKey.isEmpty();
  }

  /** Vectors the per-chunk check is prepared with: enough for the strictest level. */
  int preparedVectors() {
    return chunkVectors == 0 ? 0 : Math.max(chunkVectors, Math.max(probationVectors, suspectVectors));
  }
}
