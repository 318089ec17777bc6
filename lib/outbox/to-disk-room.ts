// The room the outbox has on its disk, decided once from a statfs reading and the store's spare pages: LMDB's file
// never shrinks, so the pages that sent entries freed inside it count as room too. Pure: the caller measures.

/** What `fs.statfsSync()` says of the outbox's filesystem (bytes are `bavail × bsize`). */
export interface FilesystemSpace {
  readonly bsize: number;
  readonly blocks: number;
  readonly bavail: number;
}

/** `OfflineResilience:DiskSpaceReserveBytes` and `DiskSpaceWarningBytes`; unset, each follows the disk's size. */
export interface DiskLimits {
  readonly reserveBytes?: number | undefined;
  readonly warningBytes?: number | undefined;
}

/** The outbox's disk: `full` below the reserve (no new writes), `low` below the warning. */
export interface DiskRoom {
  readonly level: 'ok' | 'low' | 'full';
  /** Free bytes of the filesystem plus the spare pages inside the store's file. */
  readonly roomBytes: number;
  readonly totalBytes: number;
  readonly reserveBytes: number;
  readonly warningBytes: number;
}

const MiB = 1024 ** 2;

/** The room and its level; the default reserve is 5 % of the disk (at most 64 MiB), the warning 20 % (at most 1 GiB). */
export function toDiskRoom(space: FilesystemSpace, spareBytes: number, limits: DiskLimits = {}): DiskRoom {
  const totalBytes = space.blocks * space.bsize;
  const roomBytes = space.bavail * space.bsize + spareBytes;
  const reserveBytes = limits.reserveBytes ?? Math.min(64 * MiB, Math.floor(totalBytes * 0.05));
  const warningBytes = limits.warningBytes ?? Math.max(Math.min(1024 * MiB, Math.floor(totalBytes * 0.2)), 2 * reserveBytes);
  const level = roomBytes < reserveBytes ? 'full' : roomBytes < warningBytes ? 'low' : 'ok';
  return { level, roomBytes, totalBytes, reserveBytes, warningBytes };
}

/**
 * What an entry of `bytes` may take on disk, on the safe side: a value past half a page gets pages of its own
 * (overflow pages, 4 KiB each), a smaller one shares a leaf page that may be half empty.
 */
export function entryFootprint(bytes: number): number {
  return bytes > 2000 ? Math.ceil((bytes + 16) / 4096) * 4096 : 2 * bytes + 64;
}

/** Bytes as people read them: `512 KB`, `3.1 MB`, `2.0 GB`. */
export function toSizeText(bytes: number): string {
  if (bytes < MiB) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 * MiB) return `${(bytes / MiB).toFixed(1)} MB`;
  return `${(bytes / 1024 / MiB).toFixed(1)} GB`;
}
