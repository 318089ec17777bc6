// A pure decision of the relay with `Worker:RabbitMQ:LogBatching` on: which log entries of a round go out together
// as one WorkerLogBatchMessage. A batch is published where its first log was and never carries a log across a
// status of the same occurrence, so each occurrence keeps Running → logs → final.
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { StoredEntry } from './open-outbox-store.js';

/** Builds one batch message body from the bodies of its log entries, in order (the wire format is the transport's). */
export type ToLogBatchBody = (bodies: readonly Buffer[]) => Buffer;

/** A round's publishes after batching. */
export interface LogBatches {
  /**
   * In publish order: entries sent as they are and, for each batch, one entry standing for it (its first log's
   * seq, occurrence and queue, with the batch's body and message id).
   */
  readonly send: readonly StoredEntry[];
  /** The entries of each batch in order, keyed by the seq of its first log: all removed when its publish is confirmed, all kept when it fails. */
  readonly batchedWith: ReadonlyMap<number, readonly StoredEntry[]>;
}

/** A unit of a round: an entry published as it is, or a batch of log entries (in outbox order). */
export type RelayUnit = StoredEntry | StoredEntry[];

const NO_BATCHES: ReadonlyMap<number, readonly StoredEntry[]> = new Map();

/**
 * Groups a round (in outbox order) into units. Logs to the same queue join the open batch, which sits where its
 * first log was, until it holds `maxEntries`. Statuses keep their places, so every status that follows the
 * batch's first log goes out after the batch, its occurrence's batched logs included. A log of an occurrence
 * that had a status since the batch opened starts a new batch: it must not move before that status. Only logs
 * of other occurrences move ahead of a status, which no per-occurrence order forbids.
 */
export function groupLogEntries(entries: readonly StoredEntry[], maxEntries: number = WorkerDefaults.logBatch.maxEntries): RelayUnit[] {
  const units: RelayUnit[] = [];
  let open: { logs: StoredEntry[]; queue: string; statusSince: Set<string> } | undefined;
  for (const e of entries) {
    if (e.kind !== 'log') {
      open?.statusSince.add(e.occurrenceId);
      units.push(e);
      continue;
    }
    if (open !== undefined && (open.logs.length >= maxEntries || open.queue !== e.queue || open.statusSince.has(e.occurrenceId))) open = undefined;
    if (open === undefined) {
      open = { logs: [], queue: e.queue, statusSince: new Set() };
      units.push(open.logs);
    }
    open.logs.push(e);
  }
  return units;
}

/**
 * Turns a round into what the relay publishes: with `toBody` unset, the entries unchanged; with it, every batch
 * of {@link groupLogEntries} as one message. A batch of several logs gets the id `{first id}..{last seq}/{count}`
 * (the same entries give the same id when a failed batch is sent again); a batch of one keeps its entry's id.
 */
export function batchLogEntries(entries: readonly StoredEntry[], toBody: ToLogBatchBody | undefined, maxEntries?: number): LogBatches {
  if (toBody === undefined) return { send: entries, batchedWith: NO_BATCHES };
  const send: StoredEntry[] = [];
  const batchedWith = new Map<number, readonly StoredEntry[]>();
  for (const unit of groupLogEntries(entries, maxEntries)) {
    if (!Array.isArray(unit)) {
      send.push(unit);
      continue;
    }
    const first = unit[0]!;
    const last = unit[unit.length - 1]!;
    const messageId = unit.length === 1 ? first.messageId : `${first.messageId}..${last.seq}/${unit.length}`;
    send.push({ ...first, messageId, body: toBody(unit.map((e) => e.body)) });
    batchedWith.set(first.seq, unit);
  }
  return { send, batchedWith };
}
