// Unit specs of the relay's log batching (Worker:RabbitMQ:LogBatching): the pure grouping of a round, the batch
// message built from stored bodies, and the relay publishing and confirming a batch as one unit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { batchLogEntries, groupLogEntries, type RelayUnit } from '../../lib/outbox/batch-log-entries.ts';
import { createOutboxRelay } from '../../lib/outbox/create-outbox-relay.ts';
import { openOutboxStore, type OutboxEntry, type StoredEntry } from '../../lib/outbox/open-outbox-store.ts';
import { toLogBatchBody } from '../../lib/transports/amqp/to-log-batch-body.ts';
import { toLogMessage } from '../../lib/transports/amqp/to-milvaion-messages.ts';
import { eventually } from '../support/eventually.ts';
import { fakeMessageChannel } from '../support/fake-message-channel.ts';
import { captureLogger } from '../support/loggers.ts';

const LOGS = 'worker_logs_queue';
const STATUSES = 'job_status_updates_queue';

/** Entries from `occurrence:kind` labels, seq in order; the body is the label as JSON. */
function entries(...labels: string[]): StoredEntry[] {
  return labels.map((label, seq) => {
    const [occurrenceId, kind] = label.split(':') as [string, OutboxEntry['kind']];
    return { seq, messageId: `store-${seq}`, queue: kind === 'log' ? LOGS : STATUSES, body: Buffer.from(JSON.stringify(label)), occurrenceId, kind, createdAt: 1000 };
  });
}

const label = (e: StoredEntry) => JSON.parse(e.body.toString('utf8')) as string;
/** A unit as text: a status label, or a batch's labels in brackets. */
const show = (units: readonly RelayUnit[]): string[] => units.map((u) => (Array.isArray(u) ? `[${u.map(label).join(' ')}]` : label(u)));
const parse = (body: Buffer) => JSON.parse(body.toString('utf8')) as { Logs: unknown[]; BatchTimestamp: string; Count: number };

describe('groupLogEntries', () => {
  it('keeps outbox order: each batch sits where its first log was; after a status, its occurrence’s logs start a new batch', () => {
    const units = groupLogEntries(entries('a:start', 'a:log', 'a:log', 'a:final', 'b:start', 'b:log', 'b:final'));
    assert.deepEqual(show(units), ['a:start', '[a:log a:log]', 'a:final', 'b:start', '[b:log]', 'b:final']);
    assert.deepEqual(show(groupLogEntries(entries('a:log', 'a:start', 'a:log'))), ['[a:log]', 'a:start', '[a:log]'], 'a status closes the batch for its occurrence');
  });

  it('sends a backlog of finished occurrences (logs, final, logs, final…) as one batch before their finals', () => {
    const units = groupLogEntries(entries('a:log', 'a:log', 'a:final', 'b:log', 'b:log', 'b:final', 'c:log', 'c:final'));
    assert.deepEqual(show(units), ['[a:log a:log b:log b:log c:log]', 'a:final', 'b:final', 'c:final']);
  });

  it('lets logs of other occurrences join across a status that is not theirs, never across their own', () => {
    const round = entries('a:log', 'b:start', 'c:log', 'b:log', 'c:log', 'a:final', 'c:log');
    const units = groupLogEntries(round);
    // b's log may not move before b's Running, so it starts a new batch; a's final does not close that one.
    assert.deepEqual(show(units), ['[a:log c:log]', 'b:start', '[b:log c:log c:log]', 'a:final']);
    const published = units.flatMap((u) => (Array.isArray(u) ? u.map(label) : [label(u)]));
    for (const occurrence of ['a', 'b', 'c']) {
      const mine = (xs: string[]) => xs.filter((x) => x.startsWith(`${occurrence}:`));
      assert.deepEqual(mine(published), mine(round.map(label)), `the order of ${occurrence}`);
    }
  });

  it('caps a batch at 50 logs and starts the next where the cap cut it', () => {
    const units = groupLogEntries(entries(...Array.from({ length: 120 }, (_, i) => `o${i % 7}:log`)));
    assert.deepEqual(units.map((u) => (Array.isArray(u) ? u.length : 0)), [50, 50, 20]);
    assert.deepEqual(units.flat().map((e) => e.seq), Array.from({ length: 120 }, (_, i) => i));
    assert.deepEqual(groupLogEntries(entries('a:log', 'a:log', 'a:log'), 2).map((u) => (Array.isArray(u) ? u.length : 0)), [2, 1]);
  });

  it('never puts logs of different queues in one batch', () => {
    const [first, second] = entries('a:log', 'a:log');
    assert.equal(groupLogEntries([first!, { ...second!, queue: 'elsewhere' }]).length, 2);
  });
});

describe('batchLogEntries', () => {
  it('returns the round unchanged without a batch body', () => {
    const round = entries('a:start', 'a:log', 'a:final');
    assert.equal(batchLogEntries(round, undefined).send, round);
  });

  it('sends one WorkerLogBatchMessage per batch with every entry body in order, Count and BatchTimestamp', () => {
    const { send, batchedWith } = batchLogEntries(entries('a:start', 'a:log', 'b:log', 'a:log', 'a:final'), (bodies) => toLogBatchBody(bodies, Date.UTC(2026, 3, 1)));
    assert.deepEqual(send.map((e) => e.kind), ['start', 'log', 'final']);
    const batch = send[1]!;
    assert.deepEqual(parse(batch.body), { Logs: ['a:log', 'b:log', 'a:log'], BatchTimestamp: '2026-04-01T00:00:00.000Z', Count: 3 });
    assert.deepEqual([batch.seq, batch.queue, batch.messageId], [1, LOGS, 'store-1..3/3']);
    assert.deepEqual(batchedWith.get(1)?.map((e) => e.seq), [1, 2, 3], 'the batch confirms (or keeps) all its entries');
  });

  it('keeps a lone log its own message id, inside a batch of one', () => {
    const { send } = batchLogEntries(entries('a:start', 'a:log', 'a:final'), (bodies) => toLogBatchBody(bodies));
    assert.equal(send[1]!.messageId, 'store-1');
    assert.equal(parse(send[1]!.body).Count, 1);
  });

  it('carries both occurrence keys of every WorkerLogMessage into the batch', () => {
    const who = { workerId: 'w', instanceId: 'w-0000abcd' };
    const record = (occurrenceId: string, message: string) =>
      ({ type: 'log', occurrenceId, correlationId: occurrenceId, jobName: 'J', timestamp: 0, level: 'Information', message, data: null, category: 'UserCode', exceptionType: null }) as const;
    const round = [record('o1', 'one'), record('o2', 'two')].map((r, seq) => ({ ...entries('x:log')[0]!, seq, occurrenceId: r.occurrenceId, body: Buffer.from(JSON.stringify(toLogMessage(r, who))) }));
    const logs = parse(batchLogEntries(round, (bodies) => toLogBatchBody(bodies)).send[0]!.body).Logs as Record<string, unknown>[];
    assert.deepEqual(logs.map((l) => [l['CorrelationId'], l['OccurrenceId'], (l['Log'] as Record<string, unknown>)['Message']]), [['o1', 'o1', 'one'], ['o2', 'o2', 'two']]);
  });
});

describe('the relay with log batching', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'log-batching-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  async function relayOver(labels: string[], failLogs: boolean) {
    const store = openOutboxStore({ directory: path.join(root, `store-${failLogs}`) });
    await Promise.all(entries(...labels).map(({ seq: _seq, messageId: _id, ...e }) => store.append({ ...e, createdAt: Date.now() })));
    const channel = fakeMessageChannel();
    channel.failIf = (m) => failLogs && m.queue === LOGS;
    const relay = createOutboxRelay({ store, channel, logger: captureLogger(), coalesce: false, batchLogs: (bodies) => toLogBatchBody(bodies) });
    return { store, channel, relay };
  }

  it('publishes a batch before the final status and removes all its entries on its confirm', async () => {
    const { store, channel, relay } = await relayOver(['a:start', 'a:log', 'a:log', 'a:log', 'a:final'], false);
    relay.start();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    await relay.stop();
    await store.close();
    assert.deepEqual(channel.attempts.map((m) => m.queue), [STATUSES, LOGS, STATUSES]);
    assert.equal(parse(channel.attempts[1]!.body).Count, 3);
  });

  it('keeps every entry of a batch whose publish failed', async () => {
    const { store, channel, relay } = await relayOver(['a:start', 'a:log', 'a:log', 'a:final'], true);
    relay.start();
    await eventually(() => channel.attempts.some((m) => m.queue === LOGS), 'a batch publish');
    await relay.stop();
    // The statuses were confirmed on their own; both logs wait for the next round, together.
    assert.deepEqual(store.read(0, 10).map((e) => e.kind), ['log', 'log']);
    await store.close();
  });
});
