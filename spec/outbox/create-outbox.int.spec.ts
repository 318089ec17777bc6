// Unit specs of createOutbox() with a fake MessageChannel and the real LMDB store: what a write stores and
// the relay publishes, pressure by count and by age, durable finished occurrences, close with and without a drain.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { MilvaionNames } from '../../lib/amqp.ts';
import { createOutbox, type OutboxSettings } from '../../lib/outbox/create-outbox.ts';
import { eventually } from '../support/eventually.ts';
import { fakeMessageChannel, type FakeMessageChannel } from '../support/fake-message-channel.ts';
import { captureLogger } from '../support/loggers.ts';
import { flush, track } from '../support/pipeline-harness.ts';
import { logRecord, newOccurrence, statusRecord } from '../support/records.ts';
import { wireOf } from '../support/to-wire.ts';

const root = mkdtempSync(path.join(tmpdir(), 'outbox-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const identity = { workerId: 'spec-worker', instanceId: 'spec-worker-0001' };

const toWire = wireOf(identity);

function setup(t: TestContext, settings: Partial<OutboxSettings> = {}, options: { channel?: FakeMessageChannel; persistent?: boolean } = {}) {
  const channel = options.channel ?? fakeMessageChannel();
  const logger = captureLogger();
  const directory = settings.localStoragePath ?? path.join(root, `outbox-${++dirs}`);
  const outbox = createOutbox({
    settings: { ...settings, localStoragePath: directory },
    channel,
    toWire,
    logger,
    ...(options.persistent === undefined ? {} : { persistent: options.persistent }),
  });
  let closed = false;
  const close = async (drainMs = 10_000) => {
    if (closed) return;
    closed = true;
    await outbox.close({ drainMs });
  };
  t.after(() => close());
  return { outbox, channel, logger, directory, close };
}

const bodyOf = (b: Buffer) => JSON.parse(b.toString('utf8')) as Record<string, unknown>;

/** Closes an outbox while timers are mocked: its drain timer and the relay's backoff need the mocked clock. */
async function closeUnderMockedTimers(t: TestContext, close: () => Promise<void>): Promise<void> {
  const closing = track(close());
  for (let i = 0; i < 200 && !closing.settled; i++) {
    t.mock.timers.tick(1000);
    await flush();
  }
  await closing.promise;
}

describe('createOutbox', () => {
  it('write resolves once the entry is stored: the wire message, its queue, kind and time', async (t) => {
    const { outbox, close } = setup(t);
    const occ = newOccurrence();
    const records = [statusRecord(occ, 'start'), logRecord(occ, 'step', { n: 1 }), statusRecord(occ, 'heartbeat'), statusRecord(occ, 'final')];
    await Promise.all(records.map((r) => outbox.write(r)));
    const stored = outbox.store.read(0, 10);
    assert.equal(outbox.store.pending, 4);
    assert.deepEqual(stored.map((e) => e.kind), ['start', 'log', 'heartbeat', 'final']);
    assert.deepEqual(stored.map((e) => e.queue), [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue, MilvaionNames.statusUpdatesQueue, MilvaionNames.statusUpdatesQueue]);
    assert.deepEqual(stored.map((e) => bodyOf(e.body)), records.map((r) => toWire(r).message));
    assert.deepEqual(stored.map((e) => e.createdAt), records.map((r) => r.timestamp));
    assert.ok(stored.every((e) => e.occurrenceId === occ));
    // Never started: no relay could drain it, so close does not wait for one (see the next test).
    await close();
  });

  it('close of an outbox that was never started does not wait for a drain, and keeps its entries', async (t) => {
    const { outbox, logger, close } = setup(t);
    await outbox.write(statusRecord(newOccurrence(), 'start'));
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    // With time frozen, a close that waited for its 10 s drain timer would never resolve.
    const closing = track(close(10_000));
    for (let i = 0; i < 50 && !closing.settled; i++) await flush();
    assert.equal(closing.settled, true, 'close resolved without the clock moving');
    assert.ok(logger.messages('warn').some((m) => m.startsWith('Outbox: 1 entries not sent before shutdown')));
  });

  it('close right after a write sends it: the drain waits for an entry whose commit is still on its way', async (t) => {
    // The stop of a worker whose aborted job logged just before it returned: the line is written, then close().
    const { outbox, channel, logger, close } = setup(t, { coalesceStatuses: false });
    outbox.start();
    await flush();
    const written = outbox.write(logRecord(newOccurrence(), 'late line after the abort'));
    await close(10_000);
    await written;
    assert.equal(outbox.store.pending, 0, `nothing kept for the next start ${logger.messages('warn').join('; ')}`);
    assert.deepEqual(channel.confirmed.map((m) => (bodyOf(m.body)['Log'] as Record<string, unknown>)['Message']), ['late line after the abort']);
  });

  it('a write after close is dropped with a debug line (a late log of a job that ignored its abort); the store refuses appends', async (t) => {
    const { outbox, logger, close } = setup(t);
    await close();
    const occ = newOccurrence();
    await outbox.write(logRecord(occ, 'too late'));
    assert.ok(logger.messages('debug').some((m) => m.startsWith('Outbox closed: a late log of') && m.includes(occ)));
    await assert.rejects(outbox.store.append({ queue: 'q', body: Buffer.from('{}'), occurrenceId: occ, kind: 'log', createdAt: 0 }), /is closed: an entry of/);
  });

  it('with nothing pending, health reports no old entry even while a removal has not committed', async (t) => {
    const { outbox, channel } = setup(t, { maxPendingAgeSeconds: 1 });
    const occ = newOccurrence();
    await outbox.write({ ...statusRecord(occ, 'final'), timestamp: Date.now() - 60_000 });
    outbox.start();
    await eventually(() => channel.confirmed.length === 1 && outbox.store.pending === 0, 'the entry to be sent');
    // pending is 0 from the confirm on; the LMDB removal may still be on its way: the entry must not count as old.
    const { disk, ...health } = outbox.health();
    assert.deepEqual(health, { pending: 0, pendingBytes: 0, oldestAgeMs: 0, full: false, reason: undefined });
    assert.equal(disk.state, 'ok');
  });

  it('after start, every write goes out as its wire body, persistent by default (the Running directly, transient)', async (t) => {
    const { outbox, channel } = setup(t, { coalesceStatuses: false });
    outbox.start();
    const occ = newOccurrence();
    const records = [statusRecord(occ, 'start'), logRecord(occ, 'step'), statusRecord(occ, 'final')];
    for (const r of records) await outbox.write(r);
    await eventually(() => channel.confirmed.length === 3 && outbox.store.pending === 0, 'the publishes');
    assert.deepEqual(channel.confirmed.map((m) => bodyOf(m.body)), records.map((r) => toWire(r).message));
    assert.deepEqual(channel.confirmed.map((m) => m.queue), records.map((r) => toWire(r).queue));
    assert.deepEqual(channel.confirmed.map((m) => m.durable), [false, true, true]);
    assert.equal(new Set(channel.confirmed.map((m) => m.messageId)).size, 3);
  });

  it('publishes transient messages when persistence is off', async (t) => {
    const { outbox, channel } = setup(t, {}, { persistent: false });
    outbox.start();
    await outbox.write(logRecord(newOccurrence(), 'x'));
    await eventually(() => channel.confirmed.length === 1, 'the publish');
    assert.equal(channel.confirmed[0]!.durable, false);
  });

  it('coalesces the Running of an occurrence whose final waits with it, unless coalesceStatuses is off', async (t) => {
    for (const coalesceStatuses of [true, false]) {
      const { outbox, channel, close } = setup(t, { coalesceStatuses });
      const occ = newOccurrence();
      await Promise.all([outbox.write(statusRecord(occ, 'start')), outbox.write(statusRecord(occ, 'final'))]);
      outbox.start();
      await eventually(() => outbox.store.pending === 0, 'the outbox to empty');
      assert.equal(channel.confirmed.length, coalesceStatuses ? 1 : 2, `coalesceStatuses: ${coalesceStatuses}`);
      assert.equal(bodyOf(channel.confirmed.at(-1)!.body)['Status'], 2);
      await close();
    }
  });

  it('reports pressure when the pending count reaches maxPendingEntries, and relief once the relay took the backlog', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const channel = fakeMessageChannel();
    channel.mode = 'hold';
    const { outbox, logger, close } = setup(t, { maxPendingEntries: 3 }, { channel });
    const changes: boolean[] = [];
    outbox.onPressure((full) => changes.push(full));
    outbox.start();
    const occ = newOccurrence();
    await outbox.write(logRecord(occ, '1'));
    await outbox.write(logRecord(occ, '2'));
    assert.deepEqual(changes, []);
    assert.equal(outbox.health().full, false);
    await outbox.write(logRecord(occ, '3'));
    assert.deepEqual(changes, [true], 'the write that reaches the limit reports it');
    const health = outbox.health();
    assert.equal(health.full, true);
    assert.equal(health.pending, 3);
    assert.equal(health.reason, '3 entries pending (limit 3)');
    assert.match(logger.messages('error')[0]!, /^Outbox full \(3 entries pending \(limit 3\)\): the worker stops taking new jobs/);
    await outbox.write(logRecord(occ, '4'));
    assert.deepEqual(changes, [true], 'reported once, not per write');
    channel.mode = 'confirm';
    channel.confirmHeld();
    await eventually(() => outbox.store.pending === 0, 'the outbox to empty');
    assert.deepEqual(changes, [true], 'relief is noticed by the housekeeping timer');
    t.mock.timers.tick(1000);
    assert.deepEqual(changes, [true, false]);
    assert.equal(outbox.health().full, false);
    assert.match(logger.messages('info').at(-1)!, /^Outbox has room again \(0 pending\)/);
    await close();
  });

  it('reports pressure when the oldest pending entry is older than maxPendingAgeSeconds', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const channel = fakeMessageChannel();
    channel.mode = 'hold';
    const { outbox, close } = setup(t, { maxPendingAgeSeconds: 10 }, { channel });
    const changes: boolean[] = [];
    outbox.onPressure((full) => changes.push(full));
    outbox.start();
    await outbox.write(logRecord(newOccurrence(), 'old', null, { timestamp: Date.now() - 20_000 }));
    const health = outbox.health();
    assert.equal(health.full, true);
    assert.ok(health.oldestAgeMs >= 20_000);
    assert.match(health.reason!, /^oldest entry is 2\d s old \(limit 10 s\)$/);
    assert.deepEqual(changes, [], 'the age is checked by the housekeeping timer');
    t.mock.timers.tick(1000);
    assert.deepEqual(changes, [true]);
    channel.mode = 'confirm';
    channel.confirmHeld();
    // The age is read from the store: wait for the removal to commit, not only for the count.
    await eventually(() => outbox.store.read(0, 1).length === 0, 'the removal to commit');
    t.mock.timers.tick(1000);
    assert.deepEqual(changes, [true, false]);
    await close();
  });

  it('remembers finished occurrences at once and across a restart', async (t) => {
    const first = setup(t);
    const occ = newOccurrence();
    assert.equal(first.outbox.finished.has(occ), false);
    first.outbox.finished.add(occ);
    assert.equal(first.outbox.finished.has(occ), true, 'known before its record commits');
    assert.equal(first.outbox.finished.has(newOccurrence()), false);
    await first.close();
    const second = setup(t, { localStoragePath: first.directory });
    assert.equal(second.outbox.finished.has(occ), true);
  });

  it('close drains what is pending before it closes the store', async (t) => {
    const channel = fakeMessageChannel();
    channel.mode = 'hold';
    const { outbox, logger, close } = setup(t, {}, { channel });
    outbox.start();
    const occ = newOccurrence();
    await Promise.all([outbox.write(logRecord(occ, 'a')), outbox.write(logRecord(occ, 'b'))]);
    await eventually(() => channel.held === 2, 'the publishes');
    const closing = track(close(60_000));
    await flush();
    assert.equal(closing.settled, false, 'close waits for the confirms');
    channel.confirmHeld();
    await closing.promise;
    assert.equal(channel.confirmed.length, 2);
    assert.deepEqual(logger.messages('warn'), []);
  });

  it('close after drainMs keeps what could not be sent, and the next start sends it', async (t) => {
    const channel = fakeMessageChannel();
    channel.mode = 'fail';
    channel.connected = false;
    const { outbox, logger, directory, close } = setup(t, {}, { channel });
    const occ = newOccurrence();
    await Promise.all([outbox.write(statusRecord(occ, 'start')), outbox.write(logRecord(occ, 'b'))]);
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    outbox.start();
    await eventually(() => channel.attempts.length >= 1, 'an attempt');
    await closeUnderMockedTimers(t, () => close(5000));
    assert.ok(logger.messages('warn').some((m) => m.startsWith('Outbox: 2 entries not sent before shutdown; they are sent on the next start')));
    t.mock.timers.reset();
    const next = setup(t, { localStoragePath: directory });
    assert.ok(next.logger.messages('info').some((m) => m.endsWith('2 entries from an earlier run will be sent')));
    next.outbox.start();
    await eventually(() => next.outbox.store.pending === 0, 'the earlier entries to be sent');
    assert.deepEqual(next.channel.confirmed.map((m) => m.queue), [MilvaionNames.statusUpdatesQueue, MilvaionNames.workerLogsQueue]);
  });
});
