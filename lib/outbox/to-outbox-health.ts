// What the outbox reports of itself: its backlog, its disk, and whether it is full (the worker then takes no
// new jobs). Pure: the outbox passes what it measured.
import type { OutboxDiskHealth } from './create-disk-guard.js';
import { toSizeText } from './to-disk-room.js';

/** The outbox's health: `full` means the worker must not take new jobs. */
export interface OutboxHealth {
  readonly pending: number;
  /** The bytes of the pending entries' messages. */
  readonly pendingBytes: number;
  readonly oldestAgeMs: number;
  readonly full: boolean;
  /** Why it is full (a full or failing disk names the folder), or that its disk is nearly full; else undefined. */
  readonly reason: string | undefined;
  readonly disk: OutboxDiskHealth;
}

/** The outbox's bounds: `MaxPendingEntries`, `MaxPendingBytes` (none when undefined), `MaxPendingAgeSeconds` in ms. */
export interface OutboxLimits {
  readonly maxPending: number;
  readonly maxPendingBytes: number | undefined;
  readonly maxAgeMs: number;
}

/** The health of a backlog against the limits and the disk: full past any bound, or while the disk takes no writes. */
export function toOutboxHealth(backlog: { readonly pending: number; readonly pendingBytes: number; readonly oldestAgeMs: number }, limits: OutboxLimits, disk: OutboxDiskHealth): OutboxHealth {
  const { pending, pendingBytes, oldestAgeMs } = backlog;
  const bound =
    pending >= limits.maxPending
      ? `${pending} entries pending (limit ${limits.maxPending})`
      : limits.maxPendingBytes !== undefined && pendingBytes >= limits.maxPendingBytes
        ? `${toSizeText(pendingBytes)} pending (limit ${toSizeText(limits.maxPendingBytes)}, MaxPendingBytes)`
        : oldestAgeMs >= limits.maxAgeMs
          ? `oldest entry is ${Math.round(oldestAgeMs / 1000)} s old (limit ${limits.maxAgeMs / 1000} s)`
          : undefined;
  const diskStops = disk.state === 'full' || disk.state === 'failing';
  const reason = diskStops ? disk.reason : (bound ?? disk.reason);
  return { pending, pendingBytes, oldestAgeMs, full: diskStops || bound !== undefined, reason, disk };
}
