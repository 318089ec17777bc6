// The Running fast path. An attempt's Running carries nothing that must survive a crash (a crashed attempt is
// redelivered and sends Running again), so while the broker is there it is published at once on the relay's
// channel instead of waiting for an LMDB commit behind the broker's fsyncs, and transient: the broker keeps it
// in memory, which makes the third message of a job cheap (a stored copy, sent after a failure, is persistent). Order per occurrence holds: it goes
// direct only when nothing of its occurrence waits in the outbox, and the next entry of the occurrence stores
// the Running first unless its confirm has already come; the relay then waits for that confirm and sends the
// stored copy only if the direct publish failed. A failed direct publish stores the Running at once.
import { randomUUID } from 'node:crypto';
import type { MessageChannel } from '../core/vocabulary/ports.js';
import type { StoredEntry } from './open-outbox-store.js';

/** A Running to store: its queue, wire body and time. */
export interface RunningEntry {
  readonly queue: string;
  readonly body: Buffer;
  readonly createdAt: number;
}

/** The fast path of one outbox. */
export interface DirectRunning {
  /**
   * Publishes the Running directly when it may (connected, nothing of the occurrence pending): resolves once it
   * counts as sent (confirmed, or stored: after a failed publish, or before a later entry of its occurrence while
   * the confirm has not come, as when the broker blocks publishing). Undefined: store it as any entry.
   */
  tryPublish(occurrenceId: string, running: RunningEntry): Promise<void> | undefined;
  /** Call before storing any entry of an occurrence: stores (with `store`, which gives its seq and commit) its direct Running first if not confirmed yet. */
  beforeStore(occurrenceId: string, store: (running: RunningEntry) => { readonly seq: number; readonly written: Promise<void> }): void;
  /** The relay's `settle`: stored Running copies whose direct publish was confirmed are done without publishing. */
  settle(entries: StoredEntry[]): Promise<{ send: StoredEntry[]; done: StoredEntry[] }>;
  /** Counts an entry of this occurrence stored (the relay tells {@link sent}). */
  stored(occurrenceId: string): void;
  /** The relay's `onSent`. */
  sent(entries: readonly StoredEntry[]): void;
}

interface InFlight {
  readonly running: RunningEntry;
  /** Resolves true on the broker's confirm, false on a failure. */
  readonly confirmed: Promise<boolean>;
  settledAs: boolean | undefined;
  /** The seq of the stored copy, once stored. */
  seq: number | undefined;
  /** Told the stored copy's commit: the Running counts as sent once it is durable, confirm or not. */
  readonly storedAs: (written: Promise<void>) => void;
}

/** Options of {@link createDirectRunning}. */
export interface DirectRunningOptions {
  readonly channel: MessageChannel;
  /** Whether the relay is publishing (its last round did not fail) and the store holds nothing of an earlier run. */
  readonly open: () => boolean;
  /** Stores a Running whose direct publish failed: its seq and commit, or undefined when the store is closed. */
  readonly fallback: (occurrenceId: string, running: RunningEntry) => { seq: number; written: Promise<void> } | undefined;
}

/** Creates the fast path; `open()` gates it (the outbox's relay state), `fallback` stores a failed one. */
export function createDirectRunning(options: DirectRunningOptions): DirectRunning {
  const { channel } = options;
  const inFlight = new Map<string, InFlight>();
  const bySeq = new Map<number, InFlight>();
  // Entries of this process still in the outbox, per occurrence: a Running must not overtake them.
  const pending = new Map<string, number>();

  /** After the direct publish: nothing more when confirmed or already stored; else stores it now. */
  const settleOne = (occurrenceId: string, flight: InFlight, ok: boolean): Promise<void> | undefined => {
    flight.settledAs = ok;
    if (flight.seq !== undefined) return undefined;
    inFlight.delete(occurrenceId);
    return ok ? undefined : options.fallback(occurrenceId, flight.running)?.written;
  };

  return {
    tryPublish(occurrenceId, running) {
      if (!channel.connected || !options.open() || pending.has(occurrenceId) || inFlight.has(occurrenceId)) return undefined;
      const confirmed = channel.publish({ queue: running.queue, messageId: randomUUID(), durable: false, body: running.body }).then(
        () => true,
        () => false,
      );
      let storedAs!: (written: Promise<void>) => void;
      // A copy stored before the confirm came (a later entry of the occurrence needed it) is as good as the confirm: a
      // broker that blocks publishing must not hold the job's end, and with it the record of its finish, until it
      // unblocks (a crash in between would run the finished job again).
      const stored = new Promise<void>((resolve) => (storedAs = (written) => void written.then(resolve, () => undefined)));
      const flight: InFlight = { running, confirmed, settledAs: undefined, seq: undefined, storedAs };
      inFlight.set(occurrenceId, flight);
      return Promise.race([confirmed.then((ok) => settleOne(occurrenceId, flight, ok)), stored]);
    },
    beforeStore(occurrenceId, store) {
      const flight = inFlight.get(occurrenceId);
      if (flight === undefined || flight.settledAs === true) return;
      inFlight.delete(occurrenceId);
      const { seq, written } = store(flight.running);
      flight.seq = seq;
      bySeq.set(seq, flight);
      flight.storedAs(written);
    },
    async settle(entries) {
      if (bySeq.size === 0) return { send: entries, done: [] };
      const send: StoredEntry[] = [];
      const done: StoredEntry[] = [];
      for (const e of entries) {
        const flight = bySeq.get(e.seq);
        if (flight === undefined) {
          send.push(e);
          continue;
        }
        bySeq.delete(e.seq);
        // Waits for the direct publish's confirm (milliseconds): the copy goes out only if that failed.
        if (await flight.confirmed) done.push(e);
        else send.push(e);
      }
      return { send, done };
    },
    stored(occurrenceId) {
      pending.set(occurrenceId, (pending.get(occurrenceId) ?? 0) + 1);
    },
    sent(entries) {
      for (const e of entries) {
        const left = (pending.get(e.occurrenceId) ?? 0) - 1;
        if (left > 0) pending.set(e.occurrenceId, left);
        else pending.delete(e.occurrenceId);
      }
    },
  };
}
