// Reads the memory and CPU counters of this process's cgroup (v2 or v1) the way `docker stats` does: memory is
// usage minus inactive file cache, CPU is the group's total CPU time, the limit is the CFS quota. Undefined when
// the process is in no cgroup of its own (a host's root group) or a file is missing or unreadable.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where to look: the cgroup mount and the process's `/proc/self/cgroup` (both injectable for specs). */
export interface CgroupLocation {
  /** The cgroup mount. Default `/sys/fs/cgroup`. */
  readonly root?: string;
  /** The file listing this process's groups. Default `/proc/self/cgroup`. */
  readonly procSelfCgroup?: string;
}

/** One reading of the process's cgroup. */
export interface CgroupUsage {
  readonly version: 1 | 2;
  /** Memory in use: `memory.current` − `inactive_file` (v2), `memory.usage_in_bytes` − `total_inactive_file` (v1). */
  readonly memoryBytes: number;
  /** CPU time the whole group has used, in nanoseconds: `cpu.stat` usage_usec (v2), `cpuacct.usage` (v1). */
  readonly cpuNanos: number;
  /** The CPU limit in cores (quota / period), undefined without a quota. */
  readonly cpuLimitCores: number | undefined;
}

/** Reads this process's cgroup usage; undefined outside a cgroup of its own or when a file cannot be read. */
export function readCgroupUsage(location: CgroupLocation = {}): CgroupUsage | undefined {
  const root = location.root ?? '/sys/fs/cgroup';
  try {
    const groups = parseProcSelfCgroup(readFileSync(location.procSelfCgroup ?? '/proc/self/cgroup', 'utf8'));
    return existsSync(path.join(root, 'cgroup.controllers')) ? readV2(root, groups) : readV1(root, groups);
  } catch {
    return undefined;
  }
}

/** Controller name (`''` for the v2 unified hierarchy) → the process's group path. */
type Groups = ReadonlyMap<string, string>;

function parseProcSelfCgroup(text: string): Groups {
  const groups = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (match === null) continue;
    for (const controller of match[1]!.split(',')) groups.set(controller, match[2]!);
  }
  return groups;
}

/**
 * The group's folder under `mount`: the process's path joined to it (a host, or `--cgroupns=host`), else the
 * mount itself (a container's namespaced or bind-mounted view). `accept` says whether a folder is a real group.
 */
function groupDir(mount: string, groupPath: string | undefined, accept: (dir: string) => boolean): string | undefined {
  const joined = groupPath === undefined ? undefined : path.join(mount, groupPath);
  // A path with `..` (a process outside the namespace's group) must not lead out of the mount.
  const inside = joined !== undefined && (joined === mount || joined.startsWith(mount + path.sep));
  const candidates = inside ? [joined, mount] : [mount];
  return candidates.find(accept);
}

function readV2(root: string, groups: Groups): CgroupUsage | undefined {
  // The root group has neither memory.current nor cpu.max: finding one means the process has a group of its own.
  const dir = groupDir(root, groups.get(''), (d) => existsSync(path.join(d, 'memory.current')) || existsSync(path.join(d, 'cpu.max')));
  if (dir === undefined) return undefined;
  const current = readNumber(path.join(dir, 'memory.current'));
  const usageUsec = statValue(path.join(dir, 'cpu.stat'), 'usage_usec');
  if (current === undefined || usageUsec === undefined) return undefined;
  const inactive = statValue(path.join(dir, 'memory.stat'), 'inactive_file') ?? 0;
  const [quota, period] = readWords(path.join(dir, 'cpu.max'));
  return { version: 2, memoryBytes: Math.max(0, current - inactive), cpuNanos: usageUsec * 1000, cpuLimitCores: toCores(quota, period) };
}

function readV1(root: string, groups: Groups): CgroupUsage | undefined {
  // Only a hierarchy's root group has cgroup.sane_behavior: there the counters cover the whole host.
  const own = (file: string) => (d: string) => existsSync(path.join(d, file)) && !existsSync(path.join(d, 'cgroup.sane_behavior'));
  const memoryDir = groupDir(path.join(root, 'memory'), groups.get('memory'), own('memory.usage_in_bytes'));
  const cpuacctDir = groupDir(path.join(root, 'cpuacct'), groups.get('cpuacct'), own('cpuacct.usage'));
  if (memoryDir === undefined || cpuacctDir === undefined) return undefined;
  const usage = readNumber(path.join(memoryDir, 'memory.usage_in_bytes'));
  const cpuNanos = readNumber(path.join(cpuacctDir, 'cpuacct.usage'));
  if (usage === undefined || cpuNanos === undefined) return undefined;
  const inactive = statValue(path.join(memoryDir, 'memory.stat'), 'total_inactive_file') ?? 0;
  const cpuDir = groupDir(path.join(root, 'cpu'), groups.get('cpu'), (d) => existsSync(path.join(d, 'cpu.cfs_quota_us')));
  const quota = cpuDir === undefined ? undefined : readWords(path.join(cpuDir, 'cpu.cfs_quota_us'))[0];
  const period = cpuDir === undefined ? undefined : readWords(path.join(cpuDir, 'cpu.cfs_period_us'))[0];
  return { version: 1, memoryBytes: Math.max(0, usage - inactive), cpuNanos, cpuLimitCores: toCores(quota, period) };
}

/** Cores from a CFS quota and period; `max` (v2) or `-1` (v1) means no limit. */
function toCores(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  return quota !== undefined && quota !== 'max' && q > 0 && p > 0 ? q / p : undefined;
}

function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

function readNumber(file: string): number | undefined {
  const word = readWords(file)[0];
  const value = Number(word);
  return word !== undefined && word !== '' && Number.isFinite(value) ? value : undefined;
}

/** A `key value` line's value from a stat file (`memory.stat`, `cpu.stat`). */
function statValue(file: string, key: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  const value = Number(line?.slice(key.length + 1));
  return line !== undefined && Number.isFinite(value) ? value : undefined;
}
