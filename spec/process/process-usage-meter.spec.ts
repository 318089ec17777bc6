// processUsageMeter: the heartbeat's MemoryBytes and CpuUsagePercent from the cgroup when there is one (100 % =
// the CPU quota, or every core without one), else from the process (100 % = every core); a change of source
// reads 0 once. Fakes for the clock and the readers; one case reads a real temp folder laid out like cgroup v2.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { processUsageMeter } from '../../lib/process/process-usage-meter.ts';
import type { CgroupUsage } from '../../lib/process/read-cgroup-usage.ts';

/** A clock and counters the test moves by hand. */
function world(group: CgroupUsage | undefined) {
  const state = { ms: 1000, group, rss: 5_000_000, cpuMicros: 0 };
  const meter = processUsageMeter({
    processorCount: 4,
    now: () => state.ms,
    self: { rssBytes: () => state.rss, cpuMicros: () => state.cpuMicros },
    readCgroup: () => state.group,
  });
  return { state, meter };
}

describe('processUsageMeter', () => {
  it('in a cgroup with a quota: the group memory, and CPU as a share of the quota', () => {
    const { state, meter } = world({ version: 2, memoryBytes: 42_000_000, cpuNanos: 0, cpuLimitCores: 0.5 });
    state.ms += 2000;
    state.group = { version: 2, memoryBytes: 43_000_000, cpuNanos: 500_000_000, cpuLimitCores: 0.5 }; // 0.25 core for 2 s
    assert.deepEqual(meter(), { memoryBytes: 43_000_000, cpuUsagePercent: 50, source: 'cgroup v2' });
  });

  it('in a cgroup without a quota: CPU as a share of every core', () => {
    const { state, meter } = world({ version: 1, memoryBytes: 1, cpuNanos: 1_000_000_000, cpuLimitCores: undefined });
    state.ms += 1000;
    state.group = { version: 1, memoryBytes: 2, cpuNanos: 3_000_000_000, cpuLimitCores: undefined }; // 2 cores of 4
    assert.deepEqual(meter(), { memoryBytes: 2, cpuUsagePercent: 50, source: 'cgroup v1' });
  });

  it('outside a cgroup: the process RSS and its CPU over every core', () => {
    const { state, meter } = world(undefined);
    state.ms += 500;
    state.cpuMicros += 500_000; // one core for 0.5 s
    state.rss = 6_000_000;
    assert.deepEqual(meter(), { memoryBytes: 6_000_000, cpuUsagePercent: 25, source: 'process' });
    state.ms += 1000;
    assert.equal(meter().cpuUsagePercent, 0, 'measured from the previous reading');
  });

  it('reads 0 % once when the source changes, and never less than 0 when a counter goes back', () => {
    const { state, meter } = world(undefined);
    state.ms += 1000;
    state.group = { version: 2, memoryBytes: 9, cpuNanos: 4e9, cpuLimitCores: 1 };
    assert.deepEqual(meter(), { memoryBytes: 9, cpuUsagePercent: 0, source: 'cgroup v2' });
    state.ms += 1000;
    state.group = { version: 2, memoryBytes: 9, cpuNanos: 1e9, cpuLimitCores: 1 };
    assert.equal(meter().cpuUsagePercent, 0);
    state.ms += 1000;
    state.group = { version: 2, memoryBytes: 9, cpuNanos: 1.5e9, cpuLimitCores: 1 };
    assert.equal(meter().cpuUsagePercent, 50);
  });

  it('reads 0 % when no time passed', () => {
    const { meter } = world(undefined);
    assert.equal(meter().cpuUsagePercent, 0);
  });

  it('reads a cgroup v2 folder between two heartbeats', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'usage-meter-'));
    try {
      const write = (usageUsec: number) => {
        writeFileSync(path.join(dir, 'cgroup.controllers'), 'cpu memory\n');
        writeFileSync(path.join(dir, 'memory.current'), '300000000\n');
        writeFileSync(path.join(dir, 'memory.stat'), 'inactive_file 100000000\n');
        writeFileSync(path.join(dir, 'cpu.stat'), `usage_usec ${usageUsec}\n`);
        writeFileSync(path.join(dir, 'cpu.max'), '200000 100000\n');
        writeFileSync(path.join(dir, 'self-cgroup'), '0::/\n');
      };
      write(10_000_000);
      let ms = 0;
      const meter = processUsageMeter({ cgroup: { root: dir, procSelfCgroup: path.join(dir, 'self-cgroup') }, processorCount: 8, now: () => ms });
      write(40_000_000); // 30 s of CPU in 30 s: one core of a two-core quota
      ms = 30_000;
      assert.deepEqual(meter(), { memoryBytes: 200_000_000, cpuUsagePercent: 50, source: 'cgroup v2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with the defaults, on this machine, reads a non-negative memory and CPU', () => {
    const usage = processUsageMeter()();
    assert.ok(usage.memoryBytes > 0 && Number.isFinite(usage.cpuUsagePercent) && usage.cpuUsagePercent >= 0, JSON.stringify(usage));
  });
});
