// Unit specs of createOutboxRelay(): a fake MessageChannel over a real LMDB store in a temp folder. Outbox
// order, removal only after the confirm, coalescing, failures and retries, the live lane, drain and stop.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { OutgoingMessage } from '../../lib/core/vocabulary/ports.ts';
import { createOutboxRelay, STALE_MS, type OutboxRelay, type OutboxRelayOptions } from '../../lib/outbox/create-outbox-relay.ts';
import { openOutboxStore, type OutboxEntry, type OutboxStore } from '../../lib/outbox/open-outbox-store.ts';
import { eventually } from '../support/eventually.ts';
import { fakeMessageChannel } from '../support/fake-message-channel.ts';
import { captureLogger } from '../support/loggers.ts';
import { flush, track } from '../support/pipeline-harness.ts';

const root = mkdtempSync(path.join(tmpdir(), 'outbox-relay-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** A fresh store, closed when the test ends. */
function openStore(t: TestContext): OutboxStore {
  const store = openOutboxStore({ directory: path.join(root, `store-${++dirs}`) });
  t.after(() => store.close());
  return store;
}

/** Appends `occurrence:kind:n` entries (the label is the body) and waits for their commit. */
async function append(store: OutboxStore, ...labels: string[]): Promise<void> {
  await Promise.all(
    labels.map((label) => {
      const [occurrenceId, kind] = label.split(':') as [string, OutboxEntry['kind']];
      return store.append({ queue: kind === 'log' ? 'worker_logs_queue' : 'job_status_updates_queue', body: Buffer.from(JSON.stringify(label)), occurrenceId, kind, createdAt: Date.now() });
    }),
  );
}

const labelOf = (m: OutgoingMessage) => JSON.parse(m.body.toString('utf8')) as string;

/** Stops a relay while timers are mocked: a relay in its backoff needs the mocked clock to move on. */
async function stopUnderMockedTimers(t: TestContext, relay: OutboxRelay): Promise<void> {
  const stopped = track(relay.stop());
  for (let i = 0; i < 100 && !stopped.settled; i++) {
    t.mock.timers.tick(1000);
    await flush();
  }
  await stopped.promise;
}

function setup(t: TestContext, options: Partial<OutboxRelayOptions> = {}) {
  const store = openStore(t);
  const channel = fakeMessageChannel();
  const logger = captureLogger();
  const relay = createOutboxRelay({ store, channel, logger, ...options });
  t.after(() => relay.stop());
  return { store, channel, logger, relay };
}

describe('createOutboxRelay', () => {
  it('publishes pending entries in outbox order, each with its queue, message id and the persistent flag', async (t) => {
    const { store, channel, relay } = setup(t, { coalesce: false });
    await append(store, 'a:start:1', 'b:start:1', 'a:log:2', 'b:log:2', 'a:final:3', 'b:final:3');
    const ids = store.read(0, 100).map((e) => e.messageId);
    relay.start();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.attempts.map(labelOf), ['a:start:1', 'b:start:1', 'a:log:2', 'b:log:2', 'a:final:3', 'b:final:3']);
    assert.deepEqual(channel.attempts.map((m) => m.messageId), ids);
    assert.deepEqual(channel.attempts.map((m) => m.queue), ['job_status_updates_queue', 'job_status_updates_queue', 'worker_logs_queue', 'worker_logs_queue', 'job_status_updates_queue', 'job_status_updates_queue']);
    assert.ok(channel.attempts.every((m) => m.durable));
    assert.equal(relay.stats.published, 6);
  });

  it('publishes transient messages when persistence is off', async (t) => {
    const { store, channel, relay } = setup(t, { persistent: false });
    await append(store, 'a:log:1');
    relay.start();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.equal(channel.attempts[0]?.durable, false);
  });

  it('removes an entry only after its confirm', async (t) => {
    const { store, channel, relay } = setup(t);
    channel.mode = 'hold';
    await append(store, 'a:log:1', 'a:log:2');
    relay.start();
    await eventually(() => channel.held === 2, 'the publishes');
    await flush();
    assert.equal(store.pending, 2, 'nothing is removed while the confirms are outstanding');
    assert.equal(store.read(0, 10).length, 2);
    channel.confirmHeld();
    await eventually(() => store.pending === 0 && store.read(0, 10).length === 0, 'the removal');
  });

  it('wakes on notify() to send entries appended while it was idle', async (t) => {
    const { store, channel, relay } = setup(t);
    relay.start();
    await flush();
    await append(store, 'a:log:1');
    relay.notify();
    await eventually(() => channel.confirmed.length === 1, 'the publish');
    assert.deepEqual(channel.confirmed.map(labelOf), ['a:log:1']);
  });

  it('with coalesce on (CoalesceStatuses): when Running and the final wait together only the final is sent, and both are removed on its confirm', async (t) => {
    const { store, channel, relay } = setup(t, { coalesce: true });
    await append(store, 'a:start:1', 'a:log:2', 'a:heartbeat:3', 'a:final:4', 'b:start:1');
    relay.start();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.attempts.map(labelOf), ['a:log:2', 'a:final:4', 'b:start:1']);
    assert.equal(relay.stats.coalesced, 2);
    assert.equal(relay.stats.published, 3);
  });

  it('does not coalesce by default: every Running and heartbeat goes out before its final', async (t) => {
    const { store, channel, relay } = setup(t);
    await append(store, 'a:start:1', 'a:log:2', 'a:heartbeat:3', 'a:final:4');
    relay.start();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.attempts.map(labelOf), ['a:start:1', 'a:log:2', 'a:heartbeat:3', 'a:final:4']);
    assert.equal(relay.stats.coalesced, 0);
  });

  it('coalesces by default only a Running that waited longer than STALE_MS (the broker was away): its final carries StartTime', async (t) => {
    const { store, channel, relay } = setup(t);
    const old = Date.now() - STALE_MS - 1000;
    await store.append({ queue: 'job_status_updates_queue', body: Buffer.from(JSON.stringify('a:start:1')), occurrenceId: 'a', kind: 'start', createdAt: old });
    await store.append({ queue: 'job_status_updates_queue', body: Buffer.from(JSON.stringify('a:final:2')), occurrenceId: 'a', kind: 'final', createdAt: old + 10 });
    await append(store, 'b:start:3', 'b:final:4');
    relay.start();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.confirmed.map(labelOf), ['a:final:2', 'b:start:3', 'b:final:4']);
    assert.equal(relay.stats.coalesced, 1);
  });

  it('keeps the entries of a failed round, retries when the connection is back, and says so', async (t) => {
    const { store, channel, relay, logger } = setup(t, { coalesce: false });
    await append(store, 'a:start:1', 'a:log:2', 'a:final:3');
    channel.mode = 'fail';
    channel.connected = false;
    relay.start();
    await eventually(() => channel.waits.length === 1, 'the wait for the connection');
    assert.equal(store.pending, 3, 'nothing was removed');
    assert.equal(channel.confirmed.length, 0);
    assert.equal(relay.stats.failedRounds, 1);
    assert.deepEqual(logger.messages('warn'), ['Outbox relay: publishing failed (channel closed); entries stay in the outbox and are retried']);
    assert.equal(channel.waits[0], 200, 'waits at most the first backoff (100 ms × 2)');
    channel.mode = 'confirm';
    await append(store, 'b:start:4', 'b:log:5', 'b:final:6');
    channel.reconnect();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.deepEqual(logger.messages('info'), ['Outbox relay: RabbitMQ is back, 0 entries still pending']);
    await append(store, 'c:start:7', 'c:log:8', 'c:final:9');
    await eventually(() => store.pending === 0, 'the outbox to empty again');
    // a's and b's Running waited through the outage: stale, each goes out folded into its final (which carries
    // StartTime); c's was written after the broker came back and goes out on its own.
    assert.deepEqual(channel.confirmed.map(labelOf), ['a:log:2', 'a:final:3', 'b:log:5', 'b:final:6', 'c:start:7', 'c:log:8', 'c:final:9']);
    assert.equal(relay.stats.coalesced, 2);
  });

  it('removes the confirmed part of a partly failed round and sends the rest again', async (t) => {
    const { store, channel, relay } = setup(t, { coalesce: false });
    await append(store, 'a:log:1', 'b:log:1', 'c:log:1');
    let failOnce = true;
    channel.failIf = (m) => {
      if (failOnce && labelOf(m) === 'b:log:1') return !(failOnce = false);
      return false;
    };
    relay.start();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.attempts.map(labelOf), ['a:log:1', 'b:log:1', 'c:log:1', 'b:log:1']);
    assert.deepEqual(channel.confirmed.map(labelOf), ['a:log:1', 'c:log:1', 'b:log:1']);
    assert.equal(relay.stats.failedRounds, 1);
  });

  it('a removal that does not commit (a full disk) keeps its entries stored but never sends them again, and is retried until it commits', async (t) => {
    const real = openStore(t);
    let failures = 2;
    const store: OutboxStore = Object.create(real, {
      remove: { value: (seqs: readonly number[]) => (failures-- > 0 ? Promise.reject(new Error('The outbox cannot write to /x: No space left on device (ENOSPC)')) : real.remove(seqs)) },
    }) as OutboxStore;
    const channel = fakeMessageChannel();
    const logger = captureLogger();
    const relay = createOutboxRelay({ store, channel, logger, coalesce: false });
    t.after(() => relay.stop());
    await append(real, 'a:final:0', 'b:final:0');
    relay.start();
    await eventually(() => real.read(0, 10).length === 0, 'the removal to commit at last');
    assert.ok(failures < 0, 'removed by the third try');
    assert.equal(real.pending, 0);
    assert.deepEqual(channel.confirmed.map(labelOf), ['a:final:0', 'b:final:0'], 'each sent once');
    assert.deepEqual(logger.messages('warn'), [
      'Outbox relay: removing 2 sent entries failed (The outbox cannot write to /x: No space left on device (ENOSPC)); they stay stored, are not sent again, and their removal is retried (a restart before it commits sends them again, same message ids)',
    ]);
  });

  it('backs off 200, 400 ms… while RabbitMQ is reachable but refuses, and reports the outage as an error after reportAfterFailures rounds', async (t) => {
    const { store, channel, relay, logger } = setup(t, { reportAfterFailures: 2 });
    await append(store, 'a:log:1');
    channel.mode = 'fail';
    t.mock.timers.enable({ apis: ['setTimeout'] });
    relay.start();
    await eventually(() => channel.attempts.length === 1, 'the first attempt');
    await flush();
    t.mock.timers.tick(199);
    await flush();
    assert.equal(channel.attempts.length, 1, 'the first retry waits 200 ms');
    t.mock.timers.tick(1);
    await eventually(() => channel.attempts.length === 2, 'the second attempt');
    assert.equal(logger.messages('error').length, 1);
    assert.match(logger.messages('error')[0]!, /^Outbox relay: RabbitMQ unreachable for 2 attempts; 1 entries waiting in /);
    await flush();
    t.mock.timers.tick(399);
    await flush();
    assert.equal(channel.attempts.length, 2, 'the second retry waits 400 ms');
    channel.mode = 'confirm';
    t.mock.timers.tick(1);
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.equal(logger.messages('warn').length, 1, 'one warning per outage');
    await stopUnderMockedTimers(t, relay);
  });

  it('caps the backoff at maxBackoffMs', async (t) => {
    const { store, channel, relay } = setup(t, { maxBackoffMs: 300 });
    await append(store, 'a:log:1');
    channel.mode = 'fail';
    channel.connected = false;
    // Each failed round waits for the connection for at most the backoff; whenConnected rejects here at once.
    channel.whenConnected = (ms) => (channel.waits.push(ms), Promise.reject(new Error('not yet')));
    t.mock.timers.enable({ apis: ['setTimeout'] });
    relay.start();
    await eventually(() => channel.waits.length >= 1, 'the first wait');
    for (let i = 0; i < 3; i++) {
      await flush();
      t.mock.timers.tick(300);
      await eventually(() => channel.waits.length >= i + 2, `wait ${i + 2}`);
    }
    assert.deepEqual(channel.waits.slice(0, 4), [200, 300, 300, 300]);
    await stopUnderMockedTimers(t, relay);
  });

  it('opens a live lane while a backlog drains: newer occurrences go first, never ahead of an older entry of their own', async (t) => {
    const { store, channel, relay } = setup(t, { batchSize: 2 });
    channel.mode = 'hold';
    await append(store, 'a:log:0', 'a:log:1', 'a:log:2', 'a:log:3', 'a:log:4', 'a:log:5');
    relay.start();
    await eventually(() => channel.held === 2, 'the first round');
    // Written while the backlog drains: b is new, a's entry is behind its own backlog.
    await append(store, 'b:log:0', 'b:log:1', 'a:log:6');
    channel.mode = 'confirm';
    channel.confirmHeld();
    await eventually(() => store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.attempts.map(labelOf), ['a:log:0', 'a:log:1', 'a:log:2', 'a:log:3', 'b:log:0', 'b:log:1', 'a:log:4', 'a:log:5', 'a:log:6']);
  });

  it('drain resolves true at once when empty, and true once the backlog is sent', async (t) => {
    const { store, channel, relay } = setup(t);
    assert.equal(await relay.drain(60_000), true);
    channel.mode = 'hold';
    await append(store, 'a:log:1');
    relay.start();
    await eventually(() => channel.held === 1, 'the publish');
    const drained = track(relay.drain(60_000));
    await flush();
    assert.equal(drained.settled, false);
    channel.confirmHeld();
    assert.equal(await drained.promise, true);
    assert.equal(store.pending, 0);
  });

  it('drain does not report an empty outbox while an appended entry has not committed yet', async (t) => {
    // The late log line of a job that ignored its abort: appended (counted pending) right before the stop's drain,
    // its LMDB commit still on its way. The round the drain wakes reads nothing committed; that is not "drained".
    const { store, channel, relay } = setup(t);
    relay.start();
    await flush();
    const written = store.append({ queue: 'worker_logs_queue', body: Buffer.from(JSON.stringify('a:log:late')), occurrenceId: 'a', kind: 'log', createdAt: Date.now() });
    void written.then(() => relay.notify()); // as the outbox wakes its relay on each commit
    assert.equal(store.read(0, 10).length, 0, 'the append has not committed yet');
    const drained = await relay.drain(60_000);
    assert.deepEqual({ drained, pending: store.pending, sent: channel.confirmed.map(labelOf) }, { drained: true, pending: 0, sent: ['a:log:late'] });
    await written;
  });

  it('drain resolves false after its timeout when the entries cannot be sent', async (t) => {
    const { store, channel, relay } = setup(t);
    await append(store, 'a:log:1', 'a:log:2');
    channel.mode = 'fail';
    t.mock.timers.enable({ apis: ['setTimeout'] });
    relay.start();
    await eventually(() => channel.attempts.length >= 1, 'an attempt');
    const drained = track(relay.drain(5000));
    await flush();
    t.mock.timers.tick(4999);
    await flush();
    assert.equal(drained.settled, false);
    t.mock.timers.tick(1);
    assert.equal(await drained.promise, false);
    assert.equal(store.pending, 2);
    await stopUnderMockedTimers(t, relay);
  });

  it('stop waits for the round in flight and its removals, then sends nothing more', async (t) => {
    const { store, channel, relay } = setup(t);
    channel.mode = 'hold';
    await append(store, 'a:log:1');
    relay.start();
    await eventually(() => channel.held === 1, 'the publish');
    const stopped = track(relay.stop());
    await flush();
    assert.equal(stopped.settled, false, 'stop waits for the confirm');
    channel.confirmHeld();
    await stopped.promise;
    assert.equal(store.read(0, 10).length, 0, 'the confirmed entry is removed before stop resolves');
    channel.mode = 'confirm';
    await append(store, 'a:log:2');
    relay.notify();
    await flush();
    await flush();
    assert.equal(channel.attempts.length, 1, 'nothing is published after stop');
    assert.equal(store.pending, 1);
  });
});
