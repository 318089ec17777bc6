// createWorkerPresence with a fake connection and publisher: the heartbeats carry MemoryBytes and CpuUsagePercent
// from the usage meter (cgroup-aware; here whatever this machine offers), the last one says IsStopping, and
// silentSince() says since when nothing got through while connected (what liveness reads).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWorkerPresence } from '../../../lib/transports/amqp/create-worker-presence.ts';
import { MilvaionNames } from '../../../lib/transports/amqp/milvaion-names.ts';
import { deferred, FakeConnection, fakePublisher, flush } from '../../support/fake-amqp.ts';
import { silentLogger } from '../../support/loggers.ts';

describe('createWorkerPresence heartbeats', () => {
  it('send MemoryBytes and CpuUsagePercent on start and with IsStopping on stop', async () => {
    const publisher = fakePublisher();
    const presence = createWorkerPresence({
      connection: new FakeConnection().asConnection(),
      publisher,
      identity: { workerId: 'spec-worker', instanceId: 'spec-worker-0000abcd' },
      jobs: [],
      maxParallelJobs: 1,
      heartbeatIntervalMs: 60_000,
      currentJobs: () => 2,
      logger: silentLogger,
      version: '0.0.0',
    });
    await presence.start();
    await presence.stop();
    const beats = publisher.published
      .filter((p) => p.envelope.routingKey === MilvaionNames.workerHeartbeatQueue)
      .map((p) => JSON.parse(p.body.toString()) as Record<string, unknown>);
    assert.deepEqual(beats.map((b) => [b['CurrentJobs'], b['IsStopping']]), [[2, false], [0, true]]);
    for (const beat of beats) {
      assert.ok(Number.isInteger(beat['MemoryBytes']) && (beat['MemoryBytes'] as number) > 0, JSON.stringify(beat));
      assert.ok(typeof beat['CpuUsagePercent'] === 'number' && beat['CpuUsagePercent'] >= 0, JSON.stringify(beat));
    }
  });

  it('sends no heartbeat after the IsStopping one, even when a registration was in flight at stop', async () => {
    const publisher = fakePublisher();
    const publish = publisher.publish.bind(publisher);
    let release: () => void = () => undefined;
    let holdNext = false;
    // The registration sent on a reconnect is held until the stop is under way (a slow confirm).
    publisher.publish = (envelope, body) => {
      if (!holdNext || envelope.routingKey !== MilvaionNames.workerRegistrationQueue) return publish(envelope, body);
      holdNext = false;
      return new Promise<void>((resolve) => (release = () => void publish(envelope, body).then(resolve)));
    };
    const connection = new FakeConnection();
    const presence = createWorkerPresence({
      connection: connection.asConnection(),
      publisher,
      identity: { workerId: 'spec-worker', instanceId: 'spec-worker-0000abcd' },
      jobs: [],
      maxParallelJobs: 1,
      heartbeatIntervalMs: 60_000,
      currentJobs: () => 1,
      logger: silentLogger,
      version: '0.0.0',
    });
    await presence.start();
    holdNext = true;
    connection.emit('connection'); // a reconnect: registration, then a heartbeat once it is confirmed
    const stopping = presence.stop();
    release();
    await stopping;
    await new Promise((resolve) => setImmediate(resolve));
    const beats = publisher.published
      .filter((p) => p.envelope.routingKey === MilvaionNames.workerHeartbeatQueue)
      .map((p) => (JSON.parse(p.body.toString()) as Record<string, unknown>)['IsStopping']);
    assert.equal(beats.at(-1), true, `heartbeats in publish order (IsStopping): ${JSON.stringify(beats)}`);
  });
});

describe('createWorkerPresence silentSince()', () => {
  const create = (connection: FakeConnection, publisher = fakePublisher()) =>
    createWorkerPresence({
      connection: connection.asConnection(),
      publisher,
      identity: { workerId: 'spec-worker', instanceId: 'spec-worker-0000abcd' },
      jobs: [],
      maxParallelJobs: 1,
      heartbeatIntervalMs: 1000,
      reregisterEvery: 0,
      currentJobs: () => 0,
      logger: silentLogger,
      version: '0.0.0',
    });

  it('is the last confirmed heartbeat while they get through, and stays there while they do not', async (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setInterval', 'setTimeout'], now: 1_000_000 });
    const connection = new FakeConnection();
    const publisher = fakePublisher();
    const presence = create(connection, publisher);
    assert.equal(presence.silentSince(), undefined, 'nothing is due before start()');
    await presence.start();
    assert.equal(presence.silentSince(), 1_000_000);
    t.mock.timers.tick(1000);
    await flush();
    assert.equal(presence.silentSince(), 1_001_000, 'the interval heartbeat got through');
    // From now on the broker takes no publish (a stalled network): the heartbeats wait, unconfirmed.
    const never = deferred<void>();
    publisher.publish = () => never.promise;
    t.mock.timers.tick(5000);
    await flush();
    assert.equal(presence.silentSince(), 1_001_000);
    await presence.stop({ goodbye: false });
    assert.equal(presence.silentSince(), undefined, 'nothing is due after stop()');
  });

  it('is undefined while the publish connection is down, restarts at a reconnect, and counts time the broker blocks it', async (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setInterval', 'setTimeout'], now: 2_000_000 });
    const connection = new FakeConnection();
    const publisher = fakePublisher();
    const presence = create(connection, publisher);
    await presence.start();
    publisher.fail = () => true;
    connection.ready = false; // the socket is gone; rabbitmq-client reconnects by itself
    t.mock.timers.tick(10_000);
    await flush();
    assert.equal(presence.silentSince(), undefined);
    connection.ready = true;
    connection.emit('connection');
    assert.equal(presence.silentSince(), 2_010_000, 'counted from the reconnect, not from the last heartbeat before the outage');
    // A memory alarm: rabbitmq-client corks the socket and says `ready` false, but the worker is connected.
    connection.emit('connection.blocked', 'low on memory');
    connection.ready = false;
    t.mock.timers.tick(3000);
    await flush();
    assert.equal(presence.silentSince(), 2_010_000);
    connection.emit('connection.unblocked');
    connection.ready = true;
    publisher.fail = () => false;
    t.mock.timers.tick(1000);
    await flush();
    assert.equal(presence.silentSince(), 2_014_000, 'the first heartbeat after the alarm got through');
    await presence.stop({ goodbye: false });
  });
});
