package brain.scheduler;

import brain.config.BrainConfig;
import io.vertx.core.json.JsonObject;

/** The scheduler's knobs, read once from configuration. */
record SchedulerSettings(int defaultSlots, int maxSlotsPerWorker, long maxChunkBytes, int chunksPerWorker,
    long minOpsPerChunk, int maxRunningJobs, int maxQueuedJobs, long leaseMs, long creditFlushMs, int chunkVectors,
    long fullMaxOps, int freivaldsVectors, int maxChunkFailures, int maxWorkers, int timelineCapacity,
    long heartbeatIntervalMs, long heartbeatTimeoutMs, long maxMessageBytes, double speculationFactor,
    double speculationMinDoneFraction, long speculationMinMs, int maxWorkerFailures, long workerExclusionMs,
    long bPartBytes) {

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
        Math.min(c.longValue("scheduler.bPartBytes"), c.longValue("scheduler.maxChunkBytes")));
  }
}
