// The shared Sink contract: what every sink (memory, AMQP publisher, LMDB outbox) must do, as one describe()
// block run against each implementation. A subject reports what it holds as sent and what reached its far end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { JobStatus } from '../../lib/index.ts';
import type { SinkRecord } from '../../lib/core/vocabulary/ports.ts';
import { type Sink } from '../../lib/core/vocabulary/ports.ts';
import { logRecord, newOccurrence, statusRecord } from './records.ts';

/** A record as it can be compared at the far end of any sink (wire times and worker identity left out). */
export type DeliveredRecord =
  | {
      readonly type: 'status';
      readonly occurrenceId: string;
      readonly status: number;
      /** Tells Running at pickup (with a StartTime) from a job heartbeat (without). */
      readonly hasStartTime: boolean;
      readonly result: string | null;
      readonly exception: string | null;
    }
  | { readonly type: 'log'; readonly occurrenceId: string; readonly level: string; readonly message: string; readonly data: unknown };

/** One sink under test, fresh for every test. */
export interface SinkSubject {
  readonly sink: Sink;
  /** What the sink holds as sent right now (stored, confirmed, durable), read without waiting for anything in flight. */
  sent(): Promise<readonly DeliveredRecord[]>;
  /** What reached the far end, once `done` holds for it (rejects after a while otherwise). */
  received(done: (records: readonly DeliveredRecord[]) => boolean): Promise<readonly DeliveredRecord[]>;
  close(): Promise<void>;
}

/** What a sink may do that the strict contract would call a failure. */
export interface SinkContractOptions {
  /** Extra node:test options for the suite, e.g. `needs('rabbitmq')` so it skips when the broker is down. */
  readonly suite?: { readonly skip?: string };
  /** Statuses and logs travel apart (two queues), so only the order within each kind can be checked. */
  readonly orderWithinKindOnly?: boolean;
  /** A Running (start or heartbeat) written before the occurrence's final may be dropped once the final is sent. */
  readonly mayCoalesceRunning?: boolean;
  /** Per-test timeout (default 30 s). */
  readonly timeoutMs?: number;
}

/** The comparable form of a record handed to a sink. */
export function toDelivered(record: SinkRecord): DeliveredRecord {
  return record.type === 'status'
    ? { type: 'status', occurrenceId: record.occurrenceId, status: record.status, hasStartTime: record.startTime !== null, result: record.result, exception: record.exception }
    : { type: 'log', occurrenceId: record.occurrenceId, level: record.level, message: record.message, data: record.data };
}

/** The comparable form of a Milvaion wire message (JobStatusUpdateMessage or WorkerLogMessage). */
export function fromWire(body: Readonly<Record<string, unknown>>): DeliveredRecord {
  const log = body['Log'] as Readonly<Record<string, unknown>> | undefined;
  if (log !== undefined) {
    return { type: 'log', occurrenceId: String(body['OccurrenceId']), level: String(log['Level']), message: String(log['Message']), data: log['Data'] ?? null };
  }
  return {
    type: 'status',
    occurrenceId: String(body['OccurrenceId']),
    status: Number(body['Status']),
    hasStartTime: body['StartTime'] !== null && body['StartTime'] !== undefined,
    result: (body['Result'] as string | null | undefined) ?? null,
    exception: (body['Exception'] as string | null | undefined) ?? null,
  };
}

const isRunning = (r: SinkRecord) => r.type === 'status' && r.phase !== 'final';
const label = (r: DeliveredRecord) => (r.type === 'status' ? `status ${r.status}${r.hasStartTime ? '' : ' (heartbeat)'} ${r.result ?? ''}` : `log ${r.level} ${r.message}`);

/** The records of one occurrence written to a sink, in the order the executor writes them. */
function occurrenceRecords(occurrenceId: string, logs = 3): SinkRecord[] {
  return [
    statusRecord(occurrenceId, 'start'),
    ...Array.from({ length: logs }, (_, i) => logRecord(occurrenceId, `step ${i}`, { step: i }, { level: i % 2 === 0 ? 'Information' : 'Warning' })),
    statusRecord(occurrenceId, 'heartbeat'),
    statusRecord(occurrenceId, 'final', { status: JobStatus.Failed, result: null, exception: `Type: Error\nMessage: step ${logs} failed\nStackTrace: \n` }),
  ];
}

/** Defines the contract suite for one sink implementation; `create` makes a fresh subject per test. */
export function sinkContract(name: string, create: () => Promise<SinkSubject>, options: SinkContractOptions = {}): void {
  const timeout = options.timeoutMs ?? 30_000;

  /** Must every one of these records arrive? Running statuses may be coalesced when the sink says so. */
  const required = (written: readonly SinkRecord[]) => written.filter((r) => !(options.mayCoalesceRunning && isRunning(r)));

  /** Resolves once every required record arrived; asserts nothing else arrived, and no record twice. */
  async function expectArrived(subject: SinkSubject, written: readonly SinkRecord[]): Promise<readonly DeliveredRecord[]> {
    const expected = written.map(toDelivered);
    const needed = required(written).map(toDelivered);
    const arrived = await subject.received((records) => needed.every((n) => records.some((r) => isDeepStrictEqual(r, n))));
    for (const n of needed) assert.equal(arrived.filter((r) => isDeepStrictEqual(r, n)).length, 1, `${n.occurrenceId} ${label(n)} arrived once`);
    for (const r of arrived) assert.ok(expected.some((e) => isDeepStrictEqual(e, r)), `unexpected record ${r.occurrenceId} ${label(r)}`);
    return arrived;
  }

  /** Asserts the per-occurrence order of what arrived matches the write order. */
  function assertOrder(arrived: readonly DeliveredRecord[], written: readonly SinkRecord[]): void {
    for (const occurrenceId of new Set(written.map((r) => r.occurrenceId))) {
      const kinds: readonly (DeliveredRecord['type'] | undefined)[] = options.orderWithinKindOnly ? ['status', 'log'] : [undefined];
      for (const kind of kinds) {
        const mine = (list: readonly DeliveredRecord[]) => list.filter((r) => r.occurrenceId === occurrenceId && (kind === undefined || r.type === kind));
        const got = mine(arrived);
        // What was written, minus what the sink may have coalesced away (it did not arrive).
        const want = mine(written.map(toDelivered)).filter((w) => got.some((g) => isDeepStrictEqual(g, w)));
        assert.deepEqual(got.map(label), want.map(label), `order of ${kind ?? 'records'} of ${occurrenceId}`);
      }
    }
  }

  describe(`Sink contract: ${name}`, { timeout, ...options.suite }, () => {
    it('write resolves once the record counts as sent', async () => {
      const subject = await create();
      try {
        const occurrenceId = newOccurrence();
        const running = statusRecord(occurrenceId, 'start');
        await subject.sink.write(running);
        assert.ok((await subject.sent()).some((r) => isDeepStrictEqual(r, toDelivered(running))), 'the status counts as sent when write resolves');
        const line = logRecord(occurrenceId, 'first line', { n: 1 });
        await subject.sink.write(line);
        assert.ok((await subject.sent()).some((r) => isDeepStrictEqual(r, toDelivered(line))), 'the log counts as sent when write resolves');
      } finally {
        await subject.close();
      }
    });

    it('every written status and log arrives, exactly once', async () => {
      const subject = await create();
      try {
        const a = occurrenceRecords(newOccurrence());
        const b = [statusRecord(newOccurrence(), 'final', { result: 'done' }), logRecord(newOccurrence(), 'a lone line', null, { level: 'Debug' })];
        const written = [...a, ...b];
        for (const record of written) await subject.sink.write(record);
        await expectArrived(subject, written);
      } finally {
        await subject.close();
      }
    });

    it('keeps the order of each occurrence: Running, the logs, the final', async () => {
      const subject = await create();
      try {
        const written = occurrenceRecords(newOccurrence(), 10);
        // The executor does not wait for one write before the next: the sink must keep call order.
        await Promise.all(written.map((r) => subject.sink.write(r)));
        assertOrder(await expectArrived(subject, written), written);
      } finally {
        await subject.close();
      }
    });

    it('carries unicode and large data unchanged', async () => {
      const subject = await create();
      try {
        const occurrenceId = newOccurrence();
        const text = 'héllo wörld — 中文 العربية 🧪👩‍🔬 e\u0301 \u0000 "quoted" \\ back\nslash';
        const written: SinkRecord[] = [
          logRecord(occurrenceId, `unicode ${text}`, { text, big: `${'ü€𝄞'.repeat(64 * 1024)}${text}`, nested: { list: [text, 1, null, true] } }),
          statusRecord(occurrenceId, 'final', { result: `résultat ${text}` }),
        ];
        for (const record of written) await subject.sink.write(record);
        await expectArrived(subject, written);
      } finally {
        await subject.close();
      }
    });

    it('concurrent writes from several occurrences all arrive, each in its own order', async () => {
      const subject = await create();
      try {
        const perOccurrence = Array.from({ length: 20 }, () => occurrenceRecords(newOccurrence(), 3));
        const writes: Promise<void>[] = [];
        // Interleaved, as concurrent jobs write: one record of each occurrence in turn.
        for (let step = 0; step < perOccurrence[0]!.length; step++) for (const records of perOccurrence) writes.push(subject.sink.write(records[step]!));
        await Promise.all(writes);
        const written = perOccurrence.flat();
        assertOrder(await expectArrived(subject, written), written);
      } finally {
        await subject.close();
      }
    });
  });
}
