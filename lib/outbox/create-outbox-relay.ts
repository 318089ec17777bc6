// The relay: publishes pending outbox entries through a MessageChannel (the broker, with publisher confirms),
// in outbox order, and removes each only after its confirm. While a backlog drains, a live lane lets occurrences that started
// after the outage through at once, without ever overtaking older entries of the same occurrence.
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { MessageChannel, WorkerTelemetry } from '../core/vocabulary/ports.js';
import { errorMessage } from '../core/util/error-message.js';
import { retryDelay } from '../core/engine/retry-delay.js';
import type { OutboxStore, StoredEntry } from './open-outbox-store.js';
import { createRelayCursor } from './create-relay-cursor.js';
import { coalesceStatuses } from './coalesce-statuses.js';
import { batchLogEntries, type ToLogBatchBody } from './batch-log-entries.js';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  readonly store: OutboxStore;
  /** Where entries go: confirmed publishes, and the connection's state for the backoff. */
  readonly channel: MessageChannel;
  readonly logger: TechnicalLogger;
  /** Entries per lane per round (default 500). */
  readonly batchSize?: number;
  /**
   * Coalesce every Running into its final when both wait in one round (`CoalesceStatuses`, default false).
   * Without it only a Running that waited through an outage (see STALE_MS) is coalesced.
   */
  readonly coalesce?: boolean;
  /**
   * Before each round: entries already published elsewhere (a Running sent directly) and confirmed are
   * removed without being published again; the rest are sent.
   */
  readonly settle?: ((entries: StoredEntry[]) => Promise<{ send: StoredEntry[]; done: StoredEntry[] }>) | undefined;
  /** Told of every entry that left the outbox (confirmed, coalesced or settled). */
  readonly onSent?: ((entries: readonly StoredEntry[]) => void) | undefined;
  /** Publish persistent (delivery mode 2, default true) or transient messages. */
  readonly persistent?: boolean;
  /** Longest wait between attempts while RabbitMQ is unreachable (`SyncIntervalSeconds`). */
  readonly maxBackoffMs?: number;
  /** Failed rounds in a row before the relay reports the outage as an error (`MaxSyncRetries`). */
  readonly reportAfterFailures?: number;
  /** Told of each confirmed entry and how long its confirm took. */
  readonly telemetry?: WorkerTelemetry | undefined;
  /** Set: runs of log entries go out as one batch message with this body (`RabbitMQ:LogBatching`, batch-log-entries.ts). */
  readonly batchLogs?: ToLogBatchBody | undefined;
}

/** The running relay. */
export interface OutboxRelay {
  /** Starts sending stored entries in the background. */
  start(): void;
  /** Wakes the relay: call it once new entries are committed. */
  notify(): void;
  /** Resolves when the outbox is empty (every appended entry sent, committed or not when called), or after `timeoutMs`; returns whether it is empty. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Stops sending and waits for the round in progress; the entries left stay stored. */
  stop(): Promise<void>;
  /** The last round failed (the broker is away or refusing): entries wait in the outbox. */
  readonly failing: boolean;
  readonly stats: { published: number; coalesced: number; failedRounds: number };
}

/** A Running older than this when its round is built waited through an outage. */
export const STALE_MS = 2000;

/** Creates the relay for a store. */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { store, channel, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const coalesce = options.coalesce ?? WorkerDefaults.offlineResilience.coalesceStatuses;
  const durable = options.persistent ?? WorkerDefaults.rabbitMq.persistentStatusMessages;
  const maxBackoffMs = options.maxBackoffMs ?? WorkerDefaults.offlineResilience.syncIntervalSeconds * 1000;
  const reportAfter = options.reportAfterFailures ?? WorkerDefaults.offlineResilience.maxSyncRetries;
  const stats = { published: 0, coalesced: 0, failedRounds: 0 };
  const cursor = createRelayCursor(store, batchSize, (count, error) =>
    logger.warn(`Outbox relay: removing ${count} sent entries failed (${errorMessage(error)}); they stay stored, are not sent again, and their removal is retried (a restart before it commits sends them again, same message ids)`),
  );
  const state = { running: false, stopped: false, failures: 0, wake: undefined as (() => void) | undefined, loop: undefined as Promise<void> | undefined };
  // Resolves at stop(): a backoff (up to SyncIntervalSeconds) must not hold a shutdown.
  let halt!: () => void;
  const halted = new Promise<void>((resolve) => (halt = resolve));
  const drainWaiters = new Set<() => void>();

  // A Running that waited through an outage (written before a round after a failed one, or older than STALE_MS)
  // is coalesced into a final that waits with it: the dashboard gains nothing from a stale Running.
  let staleUpTo = -1;
  const coalesceRunning = coalesce ? () => true : (e: StoredEntry) => e.seq <= staleUpTo || e.createdAt < Date.now() - STALE_MS;

  async function round(): Promise<boolean> {
    if (state.failures > 0) staleUpTo = store.nextSeq - 1;
    const read = cursor.nextRound();
    if (read.length === 0) return false;
    const settled = options.settle ? await options.settle(read) : { send: read, done: [] };
    const sent = await publishRound(channel, settled.send, { coalesceRunning, durable, telemetry: options.telemetry, batchLogs: options.batchLogs }, stats);
    const done = settled.done.length > 0 ? [...settled.done, ...sent.done] : sent.done;
    cursor.sent(done);
    options.onSent?.(done);
    if (sent.failed !== undefined) throw sent.failed;
    return true;
  }

  async function run(): Promise<void> {
    while (!state.stopped) {
      try {
        const worked = await round();
        if (state.failures > 0) logger.info(`Outbox relay: RabbitMQ is back, ${store.pending} entries still pending`);
        state.failures = 0;
        if (!worked) {
          // A round reads committed entries only: with appends still committing (`pending` counts them at once,
          // e.g. the late log line of a job that returned just before the stop) the outbox is not drained yet.
          // Their commit wakes the loop (notify).
          if (store.pending === 0) {
            for (const resolve of drainWaiters) resolve();
            drainWaiters.clear();
          }
          await sleepUntilWoken(state);
        }
      } catch (error) {
        stats.failedRounds++;
        const failures = ++state.failures;
        if (failures === 1) logger.warn(`Outbox relay: publishing failed (${errorMessage(error)}); entries stay in the outbox and are retried`);
        if (failures === reportAfter) logger.error(`Outbox relay: RabbitMQ unreachable for ${failures} attempts; ${store.pending} entries waiting in ${store.path}`);
        await backOff(channel, retryDelay(Math.min(failures, 10), 100, { maxDelayMs: maxBackoffMs }), halted);
      }
    }
  }

  return {
    start() {
      if (state.running) return;
      state.running = true;
      state.loop = run();
    },
    notify() {
      state.wake?.();
    },
    // Only the running loop can empty the outbox: a relay never started (or stopped) answers at once.
    drain: (timeoutMs) => (state.running && !state.stopped ? waitForDrain(store, drainWaiters, timeoutMs, () => state.wake?.()) : Promise.resolve(store.pending === 0)),
    async stop() {
      state.stopped = true;
      halt();
      state.wake?.();
      await state.loop;
      await cursor.settled();
    },
    stats,
    get failing() {
      return state.failures > 0;
    },
  };
}

/** Publishes a round (coalesced or not); returns the confirmed entries (with those they superseded) and the first failure. */
async function publishRound(
  channel: MessageChannel,
  entries: readonly StoredEntry[],
  options: { coalesceRunning: (entry: StoredEntry) => boolean; durable: boolean; telemetry: WorkerTelemetry | undefined; batchLogs: ToLogBatchBody | undefined },
  stats: { published: number; coalesced: number },
): Promise<{ done: StoredEntry[]; failed: unknown }> {
  const batch = coalesceStatuses(entries, options.coalesceRunning);
  const units = batchLogEntries(batch.send, options.batchLogs); // a batch of logs is one publish, confirmed or kept whole
  const { telemetry } = options;
  const started = performance.now();
  const results = await Promise.allSettled(
    units.send.map((e) => {
      const confirmed = channel.publish({ queue: e.queue, messageId: e.messageId, durable: options.durable, body: e.body });
      // Timed per entry from the round's publish to its own confirm; no work at all without telemetry.
      return telemetry?.outboxConfirmed === undefined ? confirmed : confirmed.then(() => telemetry.outboxConfirmed?.((performance.now() - started) / 1000));
    }),
  );
  const done: StoredEntry[] = [];
  let failed: unknown;
  results.forEach((r, i) => {
    const e = units.send[i]!;
    if (r.status === 'fulfilled') {
      done.push(...(units.batchedWith.get(e.seq) ?? [e]));
      const superseded = batch.supersededBy.get(e.seq);
      if (superseded) {
        done.push(...superseded);
        stats.coalesced += superseded.length;
      }
    } else failed ??= r.reason;
  });
  stats.published += results.filter((r) => r.status === 'fulfilled').length;
  return { done, failed };
}

/** Sleeps until an append commits (notify) or a second passes; never spins on uncommitted entries. */
async function sleepUntilWoken(state: { stopped: boolean; wake: (() => void) | undefined }): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    state.wake = () => {
      clearTimeout(timer);
      resolve();
    };
    if (state.stopped) state.wake();
  });
  state.wake = undefined;
}

/**
 * Backs off, or retries as soon as the connection is back, or ends at the relay's stop. A wait that rejects at once must not end the
 * backoff: that turned an outage longer than the backoff into a busy loop of microtasks that starved the
 * event loop, so the connection never came back.
 */
async function backOff(channel: MessageChannel, delayMs: number, halted: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const backoff = new Promise<void>((resolve) => (timer = setTimeout(resolve, delayMs)));
  const reconnected = channel.connected ? backoff : channel.whenConnected(delayMs).catch(() => backoff);
  await Promise.race([backoff, reconnected, halted]);
  clearTimeout(timer);
}

function waitForDrain(store: OutboxStore, waiters: Set<() => void>, timeoutMs: number, wake: () => void): Promise<boolean> {
  if (store.pending === 0) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      waiters.delete(done);
      resolve(store.pending === 0);
    }, timeoutMs);
    waiters.add(done);
    wake();
  });
}
