// The outbox: every status and log is written to LMDB before it counts as sent, and a relay publishes it
// with confirms. It is a Sink (swap it in front of the publisher) and the durable FinishedOccurrences.
// It is bounded: past a count, size or age limit, or with its disk full or failing, it asks the worker to stop
// taking jobs (and refuses new records while the disk takes none); it never drops entries.
import { statfsSync } from 'node:fs';
import path from 'node:path';
import type { FinishedOccurrences, RedeliveryRecords, LogRecord, MessageChannel, StatusRecord, ToWireMessage, WorkerTelemetry } from '../core/vocabulary/ports.js';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';

const D = WorkerDefaults.offlineResilience;
import { createOutboxRelay, type OutboxRelay } from './create-outbox-relay.js';
import { startHousekeeping } from './start-housekeeping.js';
import { createDiskGuard } from './create-disk-guard.js';
import { OutboxCommitError } from './outbox-commit-error.js';
import { toDiskRoom } from './to-disk-room.js';
import { toOutboxHealth, type OutboxHealth } from './to-outbox-health.js';
import type { ToLogBatchBody } from './batch-log-entries.js';
import { openOutboxStore, type OutboxEntry, type OutboxStore } from './open-outbox-store.js';
import { createDirectRunning, type DirectRunning, type DirectRunningOptions, type RunningEntry } from './create-direct-running.js';

/** The .NET `OfflineResilience` section, with this runtime's bounds added. */
export interface OutboxSettings {
  readonly localStoragePath: string;
  /** Longest wait between relay attempts while RabbitMQ is unreachable (default 30). */
  readonly syncIntervalSeconds?: number;
  /** Failed attempts in a row before the outage is logged as an error (default 3). */
  readonly maxSyncRetries?: number;
  readonly cleanupIntervalHours?: number;
  /** How long finished occurrences are remembered for idempotency (default 1). */
  readonly recordRetentionDays?: number;
  /** Stop taking jobs at this many pending entries (default 100,000). */
  readonly maxPendingEntries?: number;
  /** Stop taking jobs when the pending entries' messages take this many bytes (default: no byte limit). */
  readonly maxPendingBytes?: number | undefined;
  /** Stop writing (and taking jobs) when the disk has less room than this (default 5 % of the disk, at most 64 MiB). */
  readonly diskSpaceReserveBytes?: number | undefined;
  /** Warn, and report the outbox Degraded, when the disk has less room than this (default 20 % of the disk, at most 1 GiB). */
  readonly diskSpaceWarningBytes?: number | undefined;
  /** Stop taking jobs when the oldest pending entry is this old (default 3,600 s). */
  readonly maxPendingAgeSeconds?: number;
  /** Coalesce every Running into its final when both wait together (default false: only after an outage). */
  readonly coalesceStatuses?: boolean;
  /** Publish each attempt's Running directly while the broker is there (default true unless coalescing). */
  readonly directRunning?: boolean;
  readonly batchSize?: number;
}

export type { OutboxHealth };

/** The outbox. */
export interface Outbox {
  /** Stores one record; resolves once it is durable (the relay sends it to the broker later). */
  write(record: StatusRecord | LogRecord): Promise<void>;
  /** @internal */
  readonly finished: FinishedOccurrences;
  /** @internal */
  readonly redeliveries: RedeliveryRecords;
  /** @internal */
  readonly store: OutboxStore;
  /** @internal */
  readonly relay: OutboxRelay;
  /** What waits in the outbox and whether it is full, for health checks. */
  health(): OutboxHealth;
  /** Called with true when the outbox becomes full, false when it has room again. */
  onPressure(listener: (full: boolean) => void): void;
  /** Starts the relay that sends stored entries to the broker. */
  start(): void;
  /** Drains for up to `drainMs`, then closes the store; resolves with the entries kept (sent on the next start). */
  close(options?: { drainMs?: number }): Promise<{ kept: number }>;
}

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  readonly settings: OutboxSettings;
  /** Where the relay publishes (the worker passes the AMQP publisher's channel). */
  readonly channel: MessageChannel;
  /** The queue and wire message of a record: the outbox stores exactly what it will send. */
  readonly toWire: ToWireMessage;
  readonly logger: TechnicalLogger;
  /** Publish statuses and logs persistent (default true). */
  readonly persistent?: boolean;
  /** Told of each entry the relay publishes and the broker confirms. */
  readonly telemetry?: WorkerTelemetry | undefined;
  /** Set: the relay sends runs of log entries as one batch message with this body (`RabbitMQ:LogBatching`). */
  readonly batchLogs?: ToLogBatchBody | undefined;
}

/** Opens the store and creates the outbox; `start()` starts the relay and the housekeeping timer. */
export function createOutbox(options: OutboxOptions): Outbox {
  const { settings, toWire, logger } = options;
  const folder = path.resolve(settings.localStoragePath);
  // The guard measures the store's spare pages, and the store tells it of every failed commit from its first write on.
  const disk = createDiskGuard({
    folder,
    measure: () => toDiskRoom(statfsSync(folder), store.spareBytes(), { reserveBytes: settings.diskSpaceReserveBytes, warningBytes: settings.diskSpaceWarningBytes }),
    probe: () => store.probe(),
    maxBackoffMs: (settings.syncIntervalSeconds ?? D.syncIntervalSeconds) * 1000,
    logger,
    onChange: () => checkPressure(),
  });
  const store = openOutboxStore({ directory: folder, report: (message) => logger.error(message), onCommitFailed: (error) => disk.failed(error) });
  if (store.pending > 0) logger.info(`Outbox ${store.path}: ${store.pending} entries from an earlier run will be sent`);
  // The Running fast path and the relay refer to each other; each reads the other only once writes begin.
  const appendEntry = (occurrenceId: string, kind: OutboxEntry['kind'], e: RunningEntry) => {
    const seq = store.nextSeq;
    const written = store.append({ queue: e.queue, body: e.body, occurrenceId, kind, createdAt: e.createdAt });
    // The relay reads committed entries only: wake it when this one is.
    void written.then(
      () => {
        disk.settled(e.body.length);
        relay.notify();
      },
      () => disk.settled(e.body.length),
    );
    direct?.stored(occurrenceId);
    return { seq, written };
  };
  const direct = directRunningOf(options, store, () => started && !closed && !relay.failing, (occurrenceId, running) => (closed ? undefined : appendEntry(occurrenceId, 'start', running)));
  const relay = relayOf(options, store, direct);
  const limits = { maxPending: settings.maxPendingEntries ?? D.maxPendingEntries, maxPendingBytes: settings.maxPendingBytes, maxAgeMs: (settings.maxPendingAgeSeconds ?? D.maxPendingAgeSeconds) * 1000 };
  const listeners: ((full: boolean) => void)[] = [];
  let full = false;
  let housekeeping: NodeJS.Timeout | undefined;
  let closed = false;
  let started = false;

  const health = () => toOutboxHealth(backlogOf(store), limits, disk.health());
  function checkPressure(): void {
    const h = health();
    if (h.full === full) return;
    full = h.full;
    // A full or failing disk says so itself (create-disk-guard.ts), with what to do.
    if (full && h.disk.state !== 'full' && h.disk.state !== 'failing') logger.error(`Outbox full (${h.reason}): the worker stops taking new jobs until RabbitMQ takes the backlog; nothing is dropped`);
    else if (!full) logger.info(`Outbox has room again (${h.pending} pending): the worker takes new jobs`);
    for (const listener of listeners) listener(full);
  }

  return {
    store,
    relay,
    write(record) {
      // After close: only a job that ignored its abort still writes (a late log line); its execution has ended.
      if (closed) {
        logger.debug(`Outbox closed: a late ${record.type} of ${record.jobName} ${record.occurrenceId} was dropped`);
        return Promise.resolve();
      }
      const { queue, message } = toWire(record);
      const entry = { queue, body: Buffer.from(JSON.stringify(message)), createdAt: record.timestamp };
      // With the disk below its reserve or failing, nothing new is written: the delivery goes back to the queue.
      if (!disk.admit(entry.body.length)) return refused(record, disk.health().reason ?? `the outbox cannot write to ${folder}`);
      const kind = record.type === 'log' ? 'log' : record.phase;
      const published = kind === 'start' ? direct?.tryPublish(record.occurrenceId, entry) : undefined;
      if (published) return published;
      direct?.beforeStore(record.occurrenceId, (running) => appendEntry(record.occurrenceId, 'start', running));
      const { written } = appendEntry(record.occurrenceId, kind, entry);
      // The count and byte checks are cheap; the age check runs on the housekeeping timer.
      if (!full && (store.pending >= limits.maxPending || (limits.maxPendingBytes !== undefined && store.pendingBytes >= limits.maxPendingBytes))) checkPressure();
      return written;
    },
    finished: {
      has: (occurrenceId) => store.isFinished(occurrenceId),
      add: (occurrenceId) => store.markFinished(occurrenceId),
    },
    redeliveries: store.redeliveries,
    health,
    onPressure: (listener) => void listeners.push(listener),
    start() {
      started = true;
      relay.start();
      housekeeping = startHousekeeping(store, settings, () => {
        disk.check();
        checkPressure();
      }, logger);
    },
    async close(opts = {}) {
      clearInterval(housekeeping);
      disk.close();
      const drained = await relay.drain(opts.drainMs ?? 10_000);
      await relay.stop();
      const kept = store.pending;
      if (!drained) logger.warn(`Outbox: ${kept} entries not sent before shutdown; they are sent on the next start (${store.path})`);
      closed = true;
      await store.close();
      return { kept };
    },
  };
}

/** The Running fast path, unless coalescing or `directRunning: false`; open while the relay publishes and no earlier run's entries wait. */
function directRunningOf(options: OutboxOptions, store: OutboxStore, relaying: () => boolean, fallback: DirectRunningOptions['fallback']): DirectRunning | undefined {
  const { settings } = options;
  if (settings.directRunning === false || (settings.coalesceStatuses ?? D.coalesceStatuses)) return undefined;
  // Entries of an earlier run have no per-occurrence count here: until they are gone, every Running is stored.
  const openedAt = store.nextSeq;
  let earlierRun = store.pending > 0;
  const open = () => {
    if (earlierRun && (store.pending === 0 || (store.read(0, 1)[0]?.seq ?? openedAt) >= openedAt)) earlierRun = false;
    return relaying() && !earlierRun;
  };
  return createDirectRunning({ channel: options.channel, open, fallback });
}

/** The relay of a store, with the outbox's settings. */
function relayOf(options: OutboxOptions, store: OutboxStore, direct: DirectRunning | undefined) {
  const { settings } = options;
  return createOutboxRelay({
    settle: direct && ((entries) => direct.settle(entries)),
    onSent: direct && ((entries) => direct.sent(entries)),
    store,
    channel: options.channel,
    logger: options.logger,
    coalesce: settings.coalesceStatuses ?? D.coalesceStatuses,
    persistent: options.persistent ?? true,
    maxBackoffMs: (settings.syncIntervalSeconds ?? D.syncIntervalSeconds) * 1000,
    reportAfterFailures: settings.maxSyncRetries ?? D.maxSyncRetries,
    telemetry: options.telemetry,
    batchLogs: options.batchLogs,
    ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
  });
}

/** The backlog of a store: its entries, their bytes, and the age of the oldest. */
function backlogOf(store: OutboxStore): { pending: number; pendingBytes: number; oldestAgeMs: number } {
  // `pending` counts a confirmed entry out before its removal commits: with nothing pending, nothing is old.
  const oldest = store.pending === 0 ? undefined : store.oldestCreatedAt();
  return { pending: store.pending, pendingBytes: store.pendingBytes, oldestAgeMs: oldest === undefined ? 0 : Date.now() - oldest };
}

/** A write refused before it reached the store; listened to, since the executor awaits it only when its job ends. */
function refused(record: StatusRecord | LogRecord, reason: string): Promise<void> {
  const rejected = Promise.reject(new OutboxCommitError(`${record.type === 'log' ? 'A log' : 'A status'} of ${record.jobName} ${record.occurrenceId} was not written: ${reason}`, 'NO_ROOM'));
  rejected.catch(() => undefined);
  return rejected;
}
