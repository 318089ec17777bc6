// The local three-node cluster: it runs clustered, a quorum queue declared on one node is read on another, and
// the queue keeps taking and giving messages while its leader node is stopped. Starts the cluster when it is not
// running (and stops it again after); fails in CI when it cannot be started.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'rabbitmq-client';
import { clusterRunning, needsLocalCluster, startLocalCluster, stopLocalCluster, type LocalCluster } from './local-cluster.ts';

const QUEUE = 'cluster-spec-quorum';

describe('the local RabbitMQ cluster', { timeout: 240_000, ...needsLocalCluster() }, () => {
  let cluster: LocalCluster;
  let startedHere = false;
  const vhost = `cluster-spec-${process.pid}`;
  const connections: Connection[] = [];
  /** A connection as guest to node `i`'s AMQP port, in this spec's vhost. */
  const connect = async (i: number) => {
    const connection = new Connection({ url: `amqp://guest:guest@127.0.0.1:${cluster.ports[i]}/${vhost}`, retryLow: 100, retryHigh: 500 });
    connection.on('error', () => undefined);
    connections.push(connection);
    await connection.onConnect(10_000);
    return connection;
  };
  const publish = async (connection: Connection, body: string) => {
    const publisher = connection.createPublisher({ confirm: true });
    await publisher.send({ routingKey: QUEUE, durable: true }, body);
    await publisher.close();
  };
  /** The next message's body, polling for up to 10 s. */
  const take = async (connection: Connection) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const message = await connection.basicGet({ queue: QUEUE, noAck: true });
      if (message !== undefined) return String(message.body);
    }
    return undefined;
  };

  before(async () => {
    startedHere = !clusterRunning();
    const t0 = performance.now();
    cluster = await startLocalCluster();
    console.log(`local cluster ${startedHere ? 'started' : 'reused'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    cluster.createVhost(vhost);
  });

  after(async () => {
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
    if (cluster === undefined) return;
    // Whatever a failed test left stopped comes back before the vhost goes (and before the cluster is reused).
    await startLocalCluster();
    cluster.deleteVhost(vhost);
    if (startedHere) await stopLocalCluster();
  });

  it('runs three clustered nodes on three loopback ports', async () => {
    assert.deepEqual([...(await cluster.runningNodes())].sort(), ['rc1@localhost', 'rc2@localhost', 'rc3@localhost']);
    assert.deepEqual(cluster.hosts, cluster.ports.map((p) => `127.0.0.1:${p}`));
    assert.equal(new Set(cluster.ports).size, 3);
    assert.equal(cluster.nodeIndexOf('rc2@localhost'), 1);
    assert.equal(cluster.nodeIndexOf('rabbit@localhost'), -1);
  });

  it('a quorum queue declared on one node is read on another, and survives its leader stopping', async () => {
    const first = await connect(0);
    await first.queueDeclare({ queue: QUEUE, durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await publish(first, 'before');
    assert.equal(await take(await connect(1)), 'before');

    const leader = cluster.queueLeader(vhost, QUEUE);
    assert.ok(leader !== undefined && cluster.nodeIndexOf(leader) >= 0, `leader: ${leader}`);
    const down = cluster.nodeIndexOf(leader);
    const [a, b] = [0, 1, 2].filter((i) => i !== down) as [number, number];
    await cluster.stopNode(down);
    try {
      assert.equal((await cluster.runningNodes()).length, 2);
      await publish(await connect(a), 'while the leader is down');
      assert.equal(await take(await connect(b)), 'while the leader is down');
      const newLeader = cluster.queueLeader(vhost, QUEUE);
      assert.ok(newLeader !== undefined && newLeader !== leader, `leader after stopping ${leader}: ${newLeader}`);
    } finally {
      await cluster.startNode(down);
    }
    assert.equal((await cluster.runningNodes()).length, 3);
    await publish(await connect(down), 'after the restart');
    assert.equal(await take(await connect(a)), 'after the restart');
  });
});
