// The direct path's log buffer (`Worker:RabbitMQ:LogBatching` with the outbox off): logs wait up to 500 ms, or
// until 50 are buffered, then go out as one WorkerLogBatchMessage. A status of an occurrence whose logs are
// buffered publishes the buffer first, so each occurrence keeps Running → logs → final.
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';
import type { Sink, SinkRecord } from '../../core/vocabulary/ports.js';
import { toLogBatchBody } from './to-log-batch-body.js';

/** Options of {@link createLogBatcher}. */
export interface LogBatcherOptions {
  /** The queue and wire message of a record. */
  readonly toWire: (record: SinkRecord) => { readonly queue: string; readonly message: Record<string, unknown> };
  /** Publishes a record on its own (statuses, and logs after close); resolves on the broker's confirm. */
  readonly writeOne: (record: SinkRecord) => Promise<void>;
  /** Publishes a batch body to a queue; resolves on the broker's confirm. */
  readonly publish: (queue: string, body: Buffer) => Promise<void>;
  /** Default 50. */
  readonly maxEntries?: number;
  /** Longest wait of a buffered log (default 500 ms). */
  readonly intervalMs?: number;
}

/** A sink that batches logs: `write` of a log resolves once the batch holding it is confirmed. */
export interface LogBatcher extends Sink {
  /** Publishes what is buffered now; resolves once that batch is confirmed or failed. */
  flush(): Promise<void>;
  /** Publishes what is buffered and waits for every batch; later logs go out one by one. */
  close(): Promise<void>;
}

interface Buffered {
  readonly body: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Creates the log buffer in front of a confirmed publisher. */
export function createLogBatcher(options: LogBatcherOptions): LogBatcher {
  const maxEntries = options.maxEntries ?? WorkerDefaults.logBatch.maxEntries;
  const intervalMs = options.intervalMs ?? WorkerDefaults.logBatch.intervalMs;
  const state = { buffer: [] as Buffered[], queue: '', holds: new Set<string>(), timer: undefined as NodeJS.Timeout | undefined, closed: false };
  const inFlight = new Set<Promise<void>>();

  function flush(): Promise<void> {
    clearTimeout(state.timer);
    state.timer = undefined;
    const batch = state.buffer;
    if (batch.length === 0) return Promise.resolve();
    state.buffer = [];
    state.holds.clear();
    // Every log of the batch is confirmed, or fails, with it: a failed write keeps its delivery unacked.
    const settled = options.publish(state.queue, toLogBatchBody(batch.map((b) => b.body))).then(
      () => batch.forEach((b) => b.resolve()),
      (error: unknown) => batch.forEach((b) => b.reject(error)),
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
    return settled;
  }

  function write(record: SinkRecord): Promise<void> {
    if (record.type === 'status' || state.closed) {
      // Published after the buffer: a status never overtakes its occurrence's logs.
      if (state.holds.has(record.occurrenceId)) void flush();
      return options.writeOne(record);
    }
    const { queue, message } = options.toWire(record);
    if (state.buffer.length > 0 && queue !== state.queue) void flush();
    const written = new Promise<void>((resolve, reject) => state.buffer.push({ body: Buffer.from(JSON.stringify(message)), resolve, reject }));
    state.queue = queue;
    state.holds.add(record.occurrenceId);
    if (state.buffer.length >= maxEntries) void flush();
    else state.timer ??= setTimeout(() => void flush(), intervalMs);
    return written;
  }

  return {
    write,
    flush,
    async close() {
      state.closed = true;
      await flush();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
