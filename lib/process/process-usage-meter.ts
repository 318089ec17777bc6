// The MemoryBytes and CpuUsagePercent of a worker heartbeat: the cgroup's figures when the process has a cgroup
// of its own (a container), else this process's RSS and CPU time. CPU is a share of what the worker may use:
// 100 % is the cgroup's CPU quota, or every core when there is no quota (and outside a cgroup).
import os from 'node:os';
import { readCgroupUsage, type CgroupLocation, type CgroupUsage } from './read-cgroup-usage.js';

/** One reading for a heartbeat. */
export interface ProcessUsage {
  readonly memoryBytes: number;
  /** CPU used since the previous reading, as a percentage of the CPU available (quota or all cores). */
  readonly cpuUsagePercent: number;
  /** Where the figures come from. */
  readonly source: 'cgroup v1' | 'cgroup v2' | 'process';
}

/** Options of {@link processUsageMeter}; every one has a default and exists for specs. */
export interface ProcessUsageMeterOptions {
  /** Where the cgroup files are (default `/sys/fs/cgroup` and `/proc/self/cgroup`). */
  readonly cgroup?: CgroupLocation;
  /** Default `os.availableParallelism()`. */
  readonly processorCount?: number;
  /** Monotonic milliseconds. Default `performance.now()`. */
  readonly now?: () => number;
  /** The process's own figures, used outside a cgroup. Default `process.memoryUsage.rss()` and `process.cpuUsage()`. */
  readonly self?: { rssBytes(): number; cpuMicros(): number };
  /** Default {@link readCgroupUsage}. */
  readonly readCgroup?: (location: CgroupLocation) => CgroupUsage | undefined;
}

interface Sample {
  readonly source: ProcessUsage['source'];
  readonly memoryBytes: number;
  readonly cpuNanos: number;
  readonly cores: number;
  readonly at: number;
}

/** Returns a function giving the current memory and the CPU use since its previous call (or since creation). */
export function processUsageMeter(options: ProcessUsageMeterOptions = {}): () => ProcessUsage {
  const processorCount = options.processorCount ?? os.availableParallelism();
  const now = options.now ?? (() => performance.now());
  const self = options.self ?? { rssBytes: () => process.memoryUsage.rss(), cpuMicros: () => cpuMicros(process.cpuUsage()) };
  const readCgroup = options.readCgroup ?? readCgroupUsage;
  const location = options.cgroup ?? {};

  const sample = (): Sample => {
    const group = readCgroup(location);
    if (group !== undefined) {
      const cores = group.cpuLimitCores ?? processorCount;
      return { source: `cgroup v${group.version}`, memoryBytes: group.memoryBytes, cpuNanos: group.cpuNanos, cores, at: now() };
    }
    return { source: 'process', memoryBytes: self.rssBytes(), cpuNanos: self.cpuMicros() * 1000, cores: processorCount, at: now() };
  };

  let previous = sample();
  return () => {
    const current = sample();
    // Counters of different sources cannot be subtracted: that one reading says 0 and the next is right again.
    const elapsedNanos = (current.at - previous.at) * 1e6;
    const comparable = current.source === previous.source && elapsedNanos > 0;
    const used = comparable ? Math.max(0, current.cpuNanos - previous.cpuNanos) : 0;
    previous = current;
    const cpuUsagePercent = comparable ? (used / elapsedNanos / current.cores) * 100 : 0;
    return { memoryBytes: current.memoryBytes, cpuUsagePercent, source: current.source };
  };
}

function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}
