// The relay: publishes pending outbox entries to RabbitMQ with publisher confirms, in outbox order, and
// removes each only after its confirm. While a backlog drains, a live lane lets occurrences that started
// after the outage through at once, without ever overtaking older entries of the same occurrence.
import type { Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../core/types.ts';
import type { AmqpPublisher } from '../transports/amqp/create-amqp-publisher.ts';
import type { OutboxStore, StoredEntry } from './create-outbox-store.ts';
import { coalesceStatuses, selectLiveLane, type RelayBatch } from './select-relay-batch.ts';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  readonly store: OutboxStore;
  readonly publisher: AmqpPublisher;
  readonly connection: Connection;
  readonly logger: TechnicalLogger;
  /** Entries per lane per round (default 500). */
  readonly batchSize?: number;
  /** Send only the final status when Running and the final of an occurrence wait together (default true). */
  readonly coalesce?: boolean;
  /** Longest wait between attempts while RabbitMQ is unreachable (`SyncIntervalSeconds`). */
  readonly maxBackoffMs?: number;
  /** Failed rounds in a row before the relay reports the outage as an error (`MaxSyncRetries`). */
  readonly reportAfterFailures?: number;
}

/** The running relay. */
export interface OutboxRelay {
  start(): void;
  /** Wakes the relay: call it once new entries are committed. */
  notify(): void;
  /** Resolves when the outbox is empty, or after `timeoutMs`; returns whether it is empty. */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
  readonly stats: { published: number; coalesced: number; failedRounds: number };
}

/** One round, read and encoded ahead of sending. */
interface Round {
  /** Everything the round settles: what it sends and what coalescing drops once those are confirmed. */
  readonly entries: readonly StoredEntry[];
  readonly batch: RelayBatch;
  /** The encoded message of each entry of `batch.send`. */
  readonly bodies: readonly Buffer[];
}

/** Creates the relay for a store. */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { store, publisher, connection, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const coalesce = options.coalesce ?? true;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const reportAfter = options.reportAfterFailures ?? 3;
  const stats = { published: 0, coalesced: 0, failedRounds: 0 };
  // Pending seqs per occurrence, ascending: the head is the oldest entry still waiting.
  const pendingByOccurrence = new Map<string, number[]>();
  let indexedUpTo = 0; // every entry below this seq is in pendingByOccurrence (or gone)
  let liveFloor: number | undefined;
  let running = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let failures = 0;
  const drainWaiters = new Set<() => void>();

  const index = (entries: readonly StoredEntry[]) => {
    for (const e of entries) {
      if (e.seq < indexedUpTo) continue;
      const list = pendingByOccurrence.get(e.occurrenceId);
      if (list) list.push(e.seq);
      else pendingByOccurrence.set(e.occurrenceId, [e.seq]);
      indexedUpTo = e.seq + 1;
    }
  };
  const unindex = (e: StoredEntry) => {
    const list = pendingByOccurrence.get(e.occurrenceId);
    if (!list) return;
    const at = list[0] === e.seq ? 0 : list.indexOf(e.seq);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) pendingByOccurrence.delete(e.occurrenceId);
  };

  // Seqs whose removal is issued but not yet committed: reads still see them, so every read skips them.
  const removing = new Set<number>();
  let removal: Promise<void> | undefined;

  /** The entries of the next round in outbox order, leaving out `skip` (the round still awaiting its confirms). */
  function nextEntries(skip: ReadonlySet<number>): StoredEntry[] {
    const taken = removing.size + skip.size > 0 ? (seq: number) => removing.has(seq) || skip.has(seq) : undefined;
    const backlog = store.read(0, batchSize, taken);
    index(backlog);
    if (backlog.length < batchSize) {
      liveFloor = undefined;
      return backlog;
    }
    // Behind: index what is pending up to now and open a live lane from where the backlog was cut off.
    index(store.read(indexedUpTo, Number.MAX_SAFE_INTEGER));
    const backlogEnd = backlog[backlog.length - 1]!.seq + 1;
    liveFloor = Math.max(liveFloor ?? store.nextSeq, backlogEnd);
    const candidates = store.read(liveFloor, batchSize * 4, taken);
    const live = selectLiveLane(candidates, (occ) => pendingByOccurrence.get(occ)?.[0], liveFloor).slice(0, batchSize);
    return live.length > 0 ? [...backlog, ...live] : backlog;
  }

  /** Reads, coalesces and encodes a round, so that sending it is only the publishes. */
  function prepare(skip: ReadonlySet<number>): Round {
    const entries = nextEntries(skip);
    const batch = coalesce ? coalesceStatuses(entries) : { send: entries, supersededBy: new Map<number, readonly StoredEntry[]>() };
    return { entries, batch, bodies: batch.send.map((e) => Buffer.from(JSON.stringify(e.message))) };
  }

  /** Removes confirmed entries without waiting for the commit; at most one removal is in flight. */
  async function removeConfirmed(seqs: number[]): Promise<void> {
    await settleRemoval();
    if (seqs.length === 0) return;
    for (const seq of seqs) removing.add(seq);
    const removed = store.remove(seqs).finally(() => {
      for (const seq of seqs) removing.delete(seq);
    });
    removed.catch(() => undefined); // awaited (and its error thrown) by the next settleRemoval()
    removal = removed;
  }

  async function settleRemoval(): Promise<void> {
    const pendingRemoval = removal;
    removal = undefined;
    await pendingRemoval;
  }

  /**
   * Publishes a prepared round and removes what RabbitMQ confirmed. While its confirms arrive, the next
   * round is read and encoded (never published: it goes out only once this one is wholly confirmed, so a
   * failure can never let a later entry of an occurrence overtake an earlier one). Returns that next round,
   * or undefined when this one failed.
   */
  async function send(current: Round): Promise<Round | undefined> {
    const { batch, bodies } = current;
    const confirms = batch.send.map((e, i) =>
      publisher.publish({ exchange: '', routingKey: e.queue, durable: true, messageId: e.messageId, contentType: 'application/json' }, bodies[i]!),
    );
    const settled = Promise.allSettled(confirms);
    let next: Round | undefined;
    try {
      next = prepare(new Set(current.entries.map((e) => e.seq)));
    } catch {
      next = undefined; // the next round reads again, and reports a store that keeps failing
    }
    const results = await settled;
    const done: number[] = [];
    let failed: unknown;
    results.forEach((r, i) => {
      const e = batch.send[i]!;
      if (r.status === 'fulfilled') {
        stats.published++;
        done.push(e.seq);
        unindex(e);
        const superseded = batch.supersededBy.get(e.seq);
        if (superseded) {
          stats.coalesced += superseded.length;
          for (const s of superseded) {
            done.push(s.seq);
            unindex(s);
          }
        }
      } else {
        failed ??= r.reason;
        next = undefined;
      }
    });
    await removeConfirmed(done);
    if (failed !== undefined) throw failed;
    return next;
  }

  async function run(): Promise<void> {
    let next: Round | undefined;
    while (!stopped) {
      try {
        // A prepared round that found nothing is read again: entries may have been committed since.
        const current = next !== undefined && next.entries.length > 0 ? next : prepare(new Set());
        next = undefined;
        if (current.entries.length > 0) next = await send(current);
        else await settleRemoval(); // empty means the removals are committed too
        if (failures > 0) logger.info(`Outbox relay: RabbitMQ is back, ${store.pending} entries still pending`);
        failures = 0;
        if (current.entries.length === 0) {
          for (const resolve of drainWaiters) resolve();
          drainWaiters.clear();
          // Sleep until an append commits (notify) or a second passes; never spin on uncommitted entries.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
            if (stopped) wake();
          });
          wake = undefined;
        }
      } catch (error) {
        next = undefined;
        stats.failedRounds++;
        failures++;
        const message = error instanceof Error ? error.message : String(error);
        if (failures === 1) logger.warn(`Outbox relay: publishing failed (${message}); entries stay in the outbox and are retried`);
        if (failures === reportAfter) logger.error(`Outbox relay: RabbitMQ unreachable for ${failures} attempts; ${store.pending} entries waiting in ${store.path}`);
        const delay = Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 10));
        // Back off, or retry as soon as the connection is back. `onConnect(ms)` alone would close the shared
        // connection when it times out, and a rejected wait must not end the backoff: both turned an outage
        // into a busy loop that starved the event loop, so the connection never came back.
        const backoff = new Promise<void>((resolve) => setTimeout(resolve, delay));
        const reconnected = connection.ready ? backoff : connection.onConnect(delay, true).catch(() => backoff);
        await Promise.race([backoff, reconnected]);
      }
    }
    await settleRemoval().catch((error: unknown) => logger.warn('Outbox relay: removing sent entries failed; they are sent again on the next start', error));
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    notify() {
      wake?.();
    },
    drain(timeoutMs) {
      if (store.pending === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          drainWaiters.delete(done);
          resolve(store.pending === 0);
        }, timeoutMs);
        drainWaiters.add(done);
        wake?.();
      });
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
    stats,
  };
}
