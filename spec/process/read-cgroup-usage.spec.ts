// readCgroupUsage against temp folders laid out like cgroup v2 and v1 mounts (a namespaced container, a host
// service, a Docker v1 container, a host's root groups): docker-stats memory, CPU nanoseconds, the quota in cores,
// and undefined wherever the figures would be the whole host's or a file is missing.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readCgroupUsage } from '../../lib/process/read-cgroup-usage.ts';

const base = mkdtempSync(path.join(tmpdir(), 'cgroup-'));
after(() => rmSync(base, { recursive: true, force: true }));
let made = 0;

/** Writes `files` (relative path → content) under a new folder; returns the mount and the /proc/self/cgroup file. */
function layout(files: Readonly<Record<string, string>>, procSelfCgroup: string): { root: string; procSelfCgroup: string } {
  const dir = path.join(base, String(++made));
  const root = path.join(dir, 'sys/fs/cgroup');
  mkdirSync(root, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  writeFileSync(path.join(dir, 'cgroup'), procSelfCgroup);
  return { root, procSelfCgroup: path.join(dir, 'cgroup') };
}

/** A v2 group's files under `at` ('' for the mount itself). */
function v2Group(at: string, o: { current: number; inactive: number; usageUsec: number; max: string }): Record<string, string> {
  return {
    [path.join(at, 'memory.current')]: `${o.current}\n`,
    [path.join(at, 'memory.stat')]: `anon 1000\nfile 9000\nactive_file 4000\ninactive_file ${o.inactive}\n`,
    [path.join(at, 'cpu.stat')]: `usage_usec ${o.usageUsec}\nuser_usec 1\nsystem_usec 2\n`,
    [path.join(at, 'cpu.max')]: `${o.max}\n`,
  };
}

/** A v1 memory and cpu,cpuacct group under `at` of each hierarchy; `root` adds the root-only file. */
function v1Group(at: string, o: { usage: number; totalInactive: number; cpuNanos: number; quota: number; root?: boolean }): Record<string, string> {
  const rootOnly = o.root === true ? { [path.join('memory', at, 'cgroup.sane_behavior')]: '0\n', [path.join('cpuacct', at, 'cgroup.sane_behavior')]: '0\n' } : {};
  return {
    [path.join('memory', at, 'memory.usage_in_bytes')]: `${o.usage}\n`,
    [path.join('memory', at, 'memory.stat')]: `cache 5000\ninactive_file 10\ntotal_inactive_file ${o.totalInactive}\n`,
    [path.join('cpuacct', at, 'cpuacct.usage')]: `${o.cpuNanos}\n`,
    [path.join('cpu', at, 'cpu.cfs_quota_us')]: `${o.quota}\n`,
    [path.join('cpu', at, 'cpu.cfs_period_us')]: '100000\n',
    ...rootOnly,
  };
}

describe('readCgroupUsage, cgroup v2', () => {
  it('in a namespaced container (0::/) reads the mount: memory.current − inactive_file, usage_usec in ns, cpu.max in cores', () => {
    const at = layout({ 'cgroup.controllers': 'cpu memory\n', ...v2Group('', { current: 50_000_000, inactive: 8_000_000, usageUsec: 1_500_000, max: '150000 100000' }) }, '0::/\n');
    assert.deepEqual(readCgroupUsage(at), { version: 2, memoryBytes: 42_000_000, cpuNanos: 1_500_000_000, cpuLimitCores: 1.5 });
  });

  it('reads no quota from `max`', () => {
    const at = layout({ 'cgroup.controllers': 'cpu memory\n', ...v2Group('', { current: 100, inactive: 0, usageUsec: 7, max: 'max 100000' }) }, '0::/\n');
    assert.deepEqual(readCgroupUsage(at), { version: 2, memoryBytes: 100, cpuNanos: 7000, cpuLimitCores: undefined });
  });

  it('on a host (or --cgroupns=host) joins the path of /proc/self/cgroup to the mount', () => {
    const group = 'system.slice/worker.service';
    const files = { 'cgroup.controllers': 'cpu memory\n', 'cpu.stat': 'usage_usec 999999999\n', ...v2Group(group, { current: 3000, inactive: 1000, usageUsec: 20, max: '50000 100000' }) };
    const at = layout(files, `0::/${group}\n`);
    assert.deepEqual(readCgroupUsage(at), { version: 2, memoryBytes: 2000, cpuNanos: 20_000, cpuLimitCores: 0.5 });
  });

  it("is undefined in the host's root group, which has neither memory.current nor cpu.max", () => {
    const at = layout({ 'cgroup.controllers': 'cpu memory\n', 'cpu.stat': 'usage_usec 999999999\n', 'memory.stat': 'inactive_file 1\n' }, '0::/\n');
    assert.equal(readCgroupUsage(at), undefined);
  });

  it('is undefined when a counter is missing or not a number', () => {
    const noCpu = v2Group('', { current: 1, inactive: 0, usageUsec: 1, max: 'max 100000' });
    delete noCpu['cpu.stat'];
    assert.equal(readCgroupUsage(layout({ 'cgroup.controllers': '', ...noCpu }, '0::/\n')), undefined);
    const garbled = { ...v2Group('', { current: 1, inactive: 0, usageUsec: 1, max: 'max 100000' }), 'memory.current': 'lots\n' };
    assert.equal(readCgroupUsage(layout({ 'cgroup.controllers': '', ...garbled }, '0::/\n')), undefined);
  });

  it('never leaves the mount for a path with `..`', () => {
    const at = layout({ 'cgroup.controllers': '', ...v2Group('', { current: 10, inactive: 0, usageUsec: 1, max: 'max 100000' }) }, '0::/../../..\n');
    assert.equal(readCgroupUsage(at)?.memoryBytes, 10);
  });
});

describe('readCgroupUsage, cgroup v1', () => {
  it('in a Docker container (paths /docker/<id>, each hierarchy mounted at the group) reads the mounts', () => {
    const self = ['12:memory:/docker/abc', '4:cpu,cpuacct:/docker/abc', '1:name=systemd:/docker/abc'].join('\n');
    const at = layout(v1Group('', { usage: 64_000_000, totalInactive: 4_000_000, cpuNanos: 123_456_789, quota: 200_000 }), self);
    assert.deepEqual(readCgroupUsage(at), { version: 1, memoryBytes: 60_000_000, cpuNanos: 123_456_789, cpuLimitCores: 2 });
  });

  it('reads no quota from -1', () => {
    const at = layout(v1Group('', { usage: 10, totalInactive: 20, cpuNanos: 5, quota: -1 }), '4:memory:/\n3:cpuacct:/\n2:cpu:/\n');
    assert.deepEqual(readCgroupUsage(at), { version: 1, memoryBytes: 0, cpuNanos: 5, cpuLimitCores: undefined });
  });

  it('on a host joins each hierarchy path, and skips root groups (cgroup.sane_behavior)', () => {
    const files = { ...v1Group('', { usage: 9e9, totalInactive: 0, cpuNanos: 9e12, quota: -1, root: true }), ...v1Group('system.slice/worker.service', { usage: 3000, totalInactive: 500, cpuNanos: 77, quota: 25_000 }) };
    const at = layout(files, '5:memory:/system.slice/worker.service\n4:cpu,cpuacct:/system.slice/worker.service\n');
    assert.deepEqual(readCgroupUsage(at), { version: 1, memoryBytes: 2500, cpuNanos: 77, cpuLimitCores: 0.25 });
  });

  it("is undefined when the CPU accounting is the host root's, even with a memory group of its own (a sandbox seen in CI)", () => {
    const files = { ...v1Group('', { usage: 9e9, totalInactive: 0, cpuNanos: 9e12, quota: -1, root: true }), 'memory/sandbox/x/memory.usage_in_bytes': '8000\n' };
    const at = layout(files, '4:memory:/sandbox/x\n2:cpuacct:/\n1:cpu:/\n0::/\n');
    assert.equal(readCgroupUsage(at), undefined);
  });
});

describe('readCgroupUsage, no cgroup', () => {
  it('is undefined when /proc/self/cgroup or the mount is missing', () => {
    assert.equal(readCgroupUsage({ root: path.join(base, 'none'), procSelfCgroup: path.join(base, 'none', 'cgroup') }), undefined);
    assert.equal(readCgroupUsage(layout({}, '0::/\n')), undefined);
  });
});
