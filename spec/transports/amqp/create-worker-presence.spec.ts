// createWorkerPresence with a fake connection and publisher: the heartbeats carry MemoryBytes and CpuUsagePercent
// from the usage meter (cgroup-aware; here whatever this machine offers), and the last one says IsStopping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWorkerPresence } from '../../../lib/transports/amqp/create-worker-presence.ts';
import { MilvaionNames } from '../../../lib/transports/amqp/milvaion-names.ts';
import { FakeConnection, fakePublisher } from '../../support/fake-amqp.ts';
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
