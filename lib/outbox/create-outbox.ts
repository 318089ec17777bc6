// The outbox: every status and log is written to LMDB before it counts as sent, and a relay publishes it
// with confirms. It is a Sink (swap it in front of the publisher) and the durable FinishedOccurrences.
// It is bounded: past a size or age limit it asks the worker to stop taking jobs; it never drops entries.
import type { FinishedOccurrences, MessageChannel, Sink, SinkRecord, ToWireMessage, WorkerTelemetry } from '../core/ports.js';
import { WorkerDefaults } from '../core/defaults.js';
import type { TechnicalLogger } from '../core/types.js';

const D = WorkerDefaults.offlineResilience;
import { createOutboxRelay, type OutboxRelay } from './create-outbox-relay.js';
import { openOutboxStore, type OutboxStore } from './open-outbox-store.js';

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
  /** Stop taking jobs when the oldest pending entry is this old (default 3,600 s). */
  readonly maxPendingAgeSeconds?: number;
  /** Send only the final status when Running and the final wait together (default true). */
  readonly coalesceStatuses?: boolean;
  readonly batchSize?: number;
}

/** The outbox's health: `full` means the worker must not take new jobs. */
export interface OutboxHealth {
  readonly pending: number;
  readonly oldestAgeMs: number;
  readonly full: boolean;
  readonly reason: string | undefined;
}

/** The outbox. */
export interface Outbox extends Sink {
  readonly finished: FinishedOccurrences;
  readonly store: OutboxStore;
  readonly relay: OutboxRelay;
  health(): OutboxHealth;
  /** Called with true when the outbox becomes full, false when it has room again. */
  onPressure(listener: (full: boolean) => void): void;
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
}

/** Opens the store and creates the outbox; `start()` starts the relay and the housekeeping timer. */
export function createOutbox(options: OutboxOptions): Outbox {
  const { settings, toWire, logger } = options;
  const store = openOutboxStore({ directory: settings.localStoragePath, report: (message) => logger.error(message) });
  if (store.pending > 0) logger.info(`Outbox ${store.path}: ${store.pending} entries from an earlier run will be sent`);
  const relay = relayOf(options, store);
  const maxPending = settings.maxPendingEntries ?? D.maxPendingEntries;
  const maxAgeMs = (settings.maxPendingAgeSeconds ?? D.maxPendingAgeSeconds) * 1000;
  const retentionMs = (settings.recordRetentionDays ?? D.recordRetentionDays) * 86_400_000;
  const listeners: ((full: boolean) => void)[] = [];
  let full = false;
  let housekeeping: NodeJS.Timeout | undefined;
  let lastCleanup = Date.now();
  let closed = false;

  const health = () => toOutboxHealth(store, maxPending, maxAgeMs);
  const checkPressure = () => {
    const h = health();
    if (h.full === full) return;
    full = h.full;
    if (full) logger.error(`Outbox full (${h.reason}): the worker stops taking new jobs until RabbitMQ takes the backlog; nothing is dropped`);
    else logger.info(`Outbox has room again (${h.pending} pending): the worker takes new jobs`);
    for (const listener of listeners) listener(full);
  };

  const kindOf = (record: SinkRecord) => (record.type === 'log' ? 'log' : record.phase);

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
      const body = Buffer.from(JSON.stringify(message));
      const written = store.append({ queue, body, occurrenceId: record.occurrenceId, kind: kindOf(record), createdAt: record.timestamp });
      // The relay reads committed entries only: wake it when this one is.
      void written.then(() => relay.notify(), () => undefined);
      // The count check is cheap; the age check runs on the housekeeping timer.
      if (!full && store.pending >= maxPending) checkPressure();
      return written;
    },
    finished: {
      has: (occurrenceId) => store.isFinished(occurrenceId),
      add: (occurrenceId) => store.markFinished(occurrenceId),
    },
    health,
    onPressure: (listener) => void listeners.push(listener),
    start() {
      relay.start();
      housekeeping = setInterval(() => {
        checkPressure();
        if (Date.now() - lastCleanup >= (settings.cleanupIntervalHours ?? D.cleanupIntervalHours) * 3_600_000) {
          lastCleanup = Date.now();
          pruneOld(store, Date.now() - retentionMs, logger);
        }
      }, 1000);
      housekeeping.unref();
    },
    async close(opts = {}) {
      clearInterval(housekeeping);
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

/** The relay of a store, with the outbox's settings. */
function relayOf(options: OutboxOptions, store: OutboxStore) {
  const { settings } = options;
  return createOutboxRelay({
    store,
    channel: options.channel,
    logger: options.logger,
    coalesce: settings.coalesceStatuses ?? D.coalesceStatuses,
    persistent: options.persistent ?? true,
    maxBackoffMs: (settings.syncIntervalSeconds ?? D.syncIntervalSeconds) * 1000,
    reportAfterFailures: settings.maxSyncRetries ?? D.maxSyncRetries,
    telemetry: options.telemetry,
    ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
  });
}

/** The outbox's backlog and whether it is over a bound (then the worker stops taking jobs). */
function toOutboxHealth(store: OutboxStore, maxPending: number, maxAgeMs: number): OutboxHealth {
  // `pending` counts a confirmed entry out before its removal commits: with nothing pending, nothing is old.
  const oldest = store.pending === 0 ? undefined : store.oldestCreatedAt();
  const oldestAgeMs = oldest === undefined ? 0 : Date.now() - oldest;
  const reason =
    store.pending >= maxPending
      ? `${store.pending} entries pending (limit ${maxPending})`
      : oldestAgeMs >= maxAgeMs
        ? `oldest entry is ${Math.round(oldestAgeMs / 1000)} s old (limit ${maxAgeMs / 1000} s)`
        : undefined;
  return { pending: store.pending, oldestAgeMs, full: reason !== undefined, reason };
}

/** Forgets finished-occurrence records older than the retention, in the background. */
function pruneOld(store: OutboxStore, olderThan: number, logger: TechnicalLogger): void {
  void store
    .pruneFinished(olderThan)
    .then((n) => n > 0 && logger.debug(`Outbox: forgot ${n} finished occurrences older than the retention`))
    .catch((error: unknown) => logger.warn('Outbox retention cleanup failed', error));
}
