// The relay: publishes pending outbox entries through a MessageChannel (the broker, with publisher confirms), in outbox order, and
// removes each only after its confirm. While a backlog drains, a live lane lets occurrences that started
// after the outage through at once, without ever overtaking older entries of the same occurrence.
import type { TechnicalLogger } from '../core/types.js';
import type { MessageChannel } from '../core/ports.js';
import type { OutboxStore, StoredEntry } from './create-outbox-store.js';
import { coalesceStatuses, selectLiveLane } from './select-relay-batch.js';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  readonly store: OutboxStore;
  /** Where entries go: confirmed publishes, and the connection's state for the backoff. */
  readonly channel: MessageChannel;
  readonly logger: TechnicalLogger;
  /** Entries per lane per round (default 500). */
  readonly batchSize?: number;
  /** Send only the final status when Running and the final of an occurrence wait together (default true). */
  readonly coalesce?: boolean;
  /** Publish persistent (delivery mode 2, default true) or transient messages. */
  readonly persistent?: boolean;
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

/** Creates the relay for a store. */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { store, channel, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const coalesce = options.coalesce ?? true;
  const durable = options.persistent ?? true;
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
  // Confirmed entries whose removal from LMDB has not committed yet: the next round starts without
  // waiting for that commit (a tenth of a round at concurrency 100) and skips them when it reads.
  const removing = new Set<number>();
  const removals = new Set<Promise<void>>();
  const unsent = (entries: readonly StoredEntry[]) => (removing.size === 0 ? entries : entries.filter((e) => !removing.has(e.seq)));
  const read = (fromSeq: number, limit: number) => unsent(store.read(fromSeq, limit + removing.size)).slice(0, limit);

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

  function nextRound(): StoredEntry[] {
    const backlog = read(0, batchSize);
    index(backlog);
    if (backlog.length < batchSize) {
      liveFloor = undefined;
      return backlog;
    }
    // Behind: open a live lane from where the backlog was cut off.
    const backlogEnd = backlog[backlog.length - 1]!.seq + 1;
    liveFloor = Math.max(liveFloor ?? store.nextSeq, backlogEnd);
    const candidates = read(liveFloor, batchSize * 4);
    if (candidates.length === 0) return backlog;
    // Index what is pending up to now, in the same turn as the candidates were read, so that no candidate
    // overtakes an older entry of its occurrence. Only now: the first call decodes the whole backlog, which
    // slowed a drain with nothing written after the outage by a tenth, for an index it never used.
    index(store.read(indexedUpTo, Number.MAX_SAFE_INTEGER));
    const live = selectLiveLane(candidates, (occ) => pendingByOccurrence.get(occ)?.[0], liveFloor).slice(0, batchSize);
    return live.length > 0 ? [...backlog, ...live] : backlog;
  }

  async function round(): Promise<boolean> {
    const entries = nextRound();
    if (entries.length === 0) return false;
    index(entries);
    const batch = coalesce ? coalesceStatuses(entries) : { send: entries, supersededBy: new Map<number, readonly StoredEntry[]>() };
    const results = await Promise.allSettled(
      batch.send.map((e) =>
        channel.publish({ queue: e.queue, messageId: e.messageId, durable, body: e.body }),
      ),
    );
    const done: StoredEntry[] = [];
    let failed: unknown;
    results.forEach((r, i) => {
      const e = batch.send[i]!;
      if (r.status === 'fulfilled') {
        done.push(e);
        const superseded = batch.supersededBy.get(e.seq);
        if (superseded) {
          done.push(...superseded);
          stats.coalesced += superseded.length;
        }
      } else failed ??= r.reason;
    });
    stats.published += results.filter((r) => r.status === 'fulfilled').length;
    for (const e of done) unindex(e);
    remove(done.map((e) => e.seq));
    if (failed !== undefined) throw failed;
    return true;
  }

  function remove(seqs: number[]): void {
    if (seqs.length === 0) return;
    for (const seq of seqs) removing.add(seq);
    const removal = store.remove(seqs).then(
      () => undefined,
      (error: unknown) => logger.warn(`Outbox relay: removing ${seqs.length} sent entries failed; they will be sent again (same message ids)`, error),
    );
    removals.add(removal);
    void removal.finally(() => {
      for (const seq of seqs) removing.delete(seq);
      removals.delete(removal);
    });
  }

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        const worked = await round();
        if (failures > 0) logger.info(`Outbox relay: RabbitMQ is back, ${store.pending} entries still pending`);
        failures = 0;
        if (!worked) {
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
        stats.failedRounds++;
        failures++;
        const message = error instanceof Error ? error.message : String(error);
        if (failures === 1) logger.warn(`Outbox relay: publishing failed (${message}); entries stay in the outbox and are retried`);
        if (failures === reportAfter) logger.error(`Outbox relay: RabbitMQ unreachable for ${failures} attempts; ${store.pending} entries waiting in ${store.path}`);
        const delay = Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 10));
        // Back off, or retry as soon as the connection is back. A wait that rejects at once must not end
        // the backoff: that turned an outage longer than the backoff into a busy loop of microtasks that
        // starved the event loop, so the connection never came back.
        const backoff = new Promise<void>((resolve) => setTimeout(resolve, delay));
        const reconnected = channel.connected ? backoff : channel.whenConnected(delay).catch(() => backoff);
        await Promise.race([backoff, reconnected]);
      }
    }
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
      while (removals.size > 0) await Promise.all([...removals]);
    },
    stats,
  };
}
