// The Running fast path of createOutbox() with a fake MessageChannel and the real LMDB store: a Running goes
// out at once while the broker is there, nothing of its occurrence ever overtakes it, it is stored when its
// publish fails or is not confirmed before the occurrence's next entry (and then counts as written, confirm or
// not), and it is never sent twice on purpose.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { createOutbox, type OutboxSettings } from '../../lib/outbox/create-outbox.ts';
import { eventually } from '../support/eventually.ts';
import { fakeMessageChannel, type FakeMessageChannel } from '../support/fake-message-channel.ts';
import { silentLogger } from '../support/loggers.ts';
import { logRecord, newOccurrence, statusRecord } from '../support/records.ts';
import { wireOf } from '../support/to-wire.ts';

const root = mkdtempSync(path.join(tmpdir(), 'outbox-direct-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const identity = { workerId: 'spec-worker', instanceId: 'spec-worker-0001' };
const toWire = wireOf(identity);

/** What a published message is: `running`, `log:<message>` or `final`. */
function labelOf(body: Buffer): string {
  const m = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (m['Log']) return `log:${String((m['Log'] as Record<string, unknown>)['Message'])}`;
  return m['Status'] === 1 ? 'running' : 'final';
}

function setup(t: TestContext, settings: Partial<OutboxSettings> = {}, directory = path.join(root, `outbox-${++dirs}`)) {
  const channel: FakeMessageChannel = fakeMessageChannel();
  const outbox = createOutbox({ settings: { ...settings, localStoragePath: directory }, channel, toWire, logger: silentLogger });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await outbox.close({ drainMs: 2000 });
  };
  t.after(close);
  return { outbox, channel, close, directory };
}

describe('the Running fast path', () => {
  it('publishes a Running at once, transient, without storing it; write resolves on its confirm', async (t) => {
    const { outbox, channel } = setup(t);
    outbox.start();
    channel.mode = 'hold';
    const occ = newOccurrence();
    let resolved = false;
    const written = outbox.write(statusRecord(occ, 'start')).then(() => (resolved = true));
    assert.equal(channel.attempts.length, 1, 'published in the same turn as the write');
    assert.equal(labelOf(channel.attempts[0]!.body), 'running');
    assert.equal(channel.attempts[0]!.durable, false, 'a Running need not survive a broker restart: the broker keeps it in memory');
    assert.equal(outbox.store.pending, 0, 'not stored');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(resolved, false, 'not before its confirm');
    channel.confirmHeld();
    await written;
  });

  it('stores the Running before the next entry when its confirm has not come; the relay then waits and sends the copy only if needed', async (t) => {
    const { outbox, channel } = setup(t);
    outbox.start();
    channel.mode = 'hold';
    const occ = newOccurrence();
    void outbox.write(statusRecord(occ, 'start'));
    await outbox.write(logRecord(occ, 'step 1'));
    assert.deepEqual(outbox.store.read(0, 10).map((e) => e.kind), ['start', 'log'], 'the unconfirmed Running is stored first');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(channel.attempts.length, 1, 'the relay holds the occurrence until the direct publish settles');
    channel.mode = 'confirm';
    channel.confirmHeld();
    await outbox.write(statusRecord(occ, 'final'));
    await eventually(() => outbox.store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.confirmed.map((m) => labelOf(m.body)), ['running', 'log:step 1', 'final'], 'the stored copy was not sent again');
  });

  it('counts a Running as written once a later entry stored its copy, its confirm still held (a broker blocking publishes)', async (t) => {
    const { outbox, channel } = setup(t);
    outbox.start();
    channel.mode = 'hold';
    const occ = newOccurrence();
    const running = outbox.write(statusRecord(occ, 'start'));
    await outbox.write(statusRecord(occ, 'final'));
    const held = new Promise((_, reject) => setTimeout(() => reject(new Error('the Running write waited for its confirm although its copy was stored')), 2000));
    await Promise.race([running, held]);
    assert.equal(channel.confirmed.length, 0, 'no confirm has come');
    assert.deepEqual(outbox.store.read(0, 10).map((e) => e.kind), ['start', 'final']);
    channel.mode = 'confirm';
    channel.confirmHeld();
    await eventually(() => outbox.store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.confirmed.map((m) => labelOf(m.body)), ['running', 'final'], 'the copy was not sent again');
  });

  it('stores a Running whose direct publish failed; the relay sends it before the later entries', async (t) => {
    const { outbox, channel } = setup(t);
    outbox.start();
    const occ = newOccurrence();
    channel.failIf = (m) => labelOf(m.body) === 'running' && channel.attempts.filter((a) => labelOf(a.body) === 'running').length === 1;
    await outbox.write(statusRecord(occ, 'start'));
    await outbox.write(logRecord(occ, 'step 1'));
    await outbox.write(statusRecord(occ, 'final'));
    await eventually(() => outbox.store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.confirmed.map((m) => labelOf(m.body)), ['running', 'log:step 1', 'final']);
    assert.equal(channel.attempts.filter((a) => labelOf(a.body) === 'running').length, 2, 'the direct try, then the stored copy');
  });

  it('stores the Running while an earlier entry of its occurrence waits in the outbox (a retry right after its attempt)', async (t) => {
    const { outbox, channel } = setup(t);
    outbox.start();
    channel.mode = 'hold';
    const occ = newOccurrence();
    await outbox.write(logRecord(occ, 'attempt 1 retry notice'));
    await outbox.write(statusRecord(occ, 'start'));
    assert.deepEqual(outbox.store.read(0, 10).map((e) => e.kind), ['log', 'start']);
    channel.mode = 'confirm';
    channel.confirmHeld();
    await eventually(() => outbox.store.pending === 0, 'the outbox to empty');
    assert.deepEqual(channel.confirmed.map((m) => labelOf(m.body)), ['log:attempt 1 retry notice', 'running']);
  });

  it('stores every Running before start, while disconnected, while the relay fails, and with coalesceStatuses or directRunning off', async (t) => {
    type Outbox = ReturnType<typeof setup>['outbox'];
    const stored = async (settings: Partial<OutboxSettings>, prepare: (c: FakeMessageChannel, o: Outbox) => Promise<void> | void, start = true) => {
      const { outbox, channel, close } = setup(t, settings);
      if (start) outbox.start();
      await prepare(channel, outbox);
      const before = channel.attempts.length;
      await outbox.write(statusRecord(newOccurrence(), 'start'));
      const kinds = outbox.store.read(0, 10).map((e) => e.kind);
      // A direct publish has a UUID message id; the relay's copies have the store's `{id}-{seq}`.
      const triedDirect = channel.attempts.slice(before).some((a) => a.messageId.split('-').length === 5);
      await close();
      return kinds.includes('start') && !triedDirect;
    };
    assert.equal(await stored({}, () => undefined, false), true, 'before start');
    assert.equal(await stored({}, (c) => void (c.connected = false)), true, 'disconnected');
    assert.equal(await stored({ coalesceStatuses: true }, () => undefined), true, 'coalescing');
    assert.equal(await stored({ directRunning: false }, () => undefined), true, 'turned off');
    // A failing relay (the connection says it is up, the publishes fail): the Running waits behind the outage.
    assert.equal(
      await stored({}, async (c, o) => {
        c.mode = 'fail';
        await o.write(logRecord(newOccurrence(), 'cannot go out'));
        await eventually(() => o.relay.failing, 'the relay to fail a round');
      }),
      true,
      'relay failing',
    );
  });

  it('stores every Running while entries of an earlier run remain (their occurrences are unknown)', async (t) => {
    const directory = path.join(root, `outbox-${++dirs}`);
    const first = setup(t, {}, directory);
    await first.outbox.write(logRecord(newOccurrence(), 'left from an earlier run'));
    await first.close();
    const { outbox, channel } = setup(t, {}, directory);
    channel.mode = 'hold';
    outbox.start();
    await outbox.write(statusRecord(newOccurrence(), 'start'));
    assert.deepEqual(outbox.store.read(0, 10).map((e) => e.kind), ['log', 'start']);
    channel.mode = 'confirm';
    channel.confirmHeld();
    await eventually(() => outbox.store.pending === 0, 'the backlog to drain');
    await outbox.write(statusRecord(newOccurrence(), 'start'));
    assert.equal(outbox.store.pending, 0, 'direct again once the earlier run is gone');
  });
});
