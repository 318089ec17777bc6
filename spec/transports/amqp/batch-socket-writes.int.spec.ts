import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'rabbitmq-client';
import { batchSocketWrites } from '../../../lib/transports/amqp/batch-socket-writes.ts';
import { createVhost, deleteVhost } from '../../support/amqp-harness.ts';
import { available, needs } from '../../support/services.ts';
import { createTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

const vhost = `spec-batch-writes-${process.pid}`;
let proxy: TcpProxy;
const connections: Connection[] = [];

if (available('rabbitmq')) {
  before(async () => {
    createVhost(vhost);
    proxy = await createTcpProxy({ targetPort: 5672 });
  });
  after(async () => {
    for (const c of connections) await c.close();
    await proxy.close();
    deleteVhost(vhost);
  });
}

async function connect(batched: boolean): Promise<Connection> {
  const connection = new Connection({ url: `amqp://guest:guest@127.0.0.1:${proxy.port}/${vhost}`, retryLow: 50, retryHigh: 200 });
  connection.on('error', () => undefined);
  connections.push(connection);
  if (batched) batchSocketWrites(connection);
  await connection.onConnect(5000);
  return connection;
}

/** Counts the write system calls the socket asks for (net.Socket's _write and _writev) while `fn` runs and flushes. */
async function countWrites(connection: Connection, fn: () => void): Promise<number> {
  const socket = (connection as unknown as { _socket: Socket & { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void } })._socket;
  let writes = 0;
  const { _write, _writev } = socket;
  socket._write = function (...args: unknown[]) {
    writes++;
    return _write.apply(this, args);
  };
  socket._writev = function (...args: unknown[]) {
    writes++;
    return _writev.apply(this, args);
  };
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    socket._write = _write;
    socket._writev = _writev;
  }
  return writes;
}

/** Publishes `count` numbered messages in one synchronous loop; returns how many writes that took. */
async function publishBurst(connection: Connection, queue: string, count: number): Promise<number> {
  const channel = await connection.acquire();
  await channel.queueDeclare({ queue, durable: false, exclusive: false, autoDelete: false });
  const writes = await countWrites(connection, () => {
    for (let i = 0; i < count; i++) void channel.basicPublish({ routingKey: queue }, Buffer.from(String(i)));
  });
  await channel.close();
  return writes;
}

async function drainNumbers(connection: Connection, queue: string, count: number): Promise<number[]> {
  const channel = await connection.acquire();
  const seen: number[] = [];
  for (let empty = 0; empty < 50 && seen.length < count; ) {
    const message = await channel.basicGet({ queue, noAck: true });
    if (message === undefined) {
      empty++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    else seen.push(Number((message.body as Buffer).toString()));
  }
  await channel.close();
  return seen;
}

describe('batchSocketWrites', needs('rabbitmq'), () => {
  it('sends the frames written in one event-loop turn in a few writes, all of them, in order', async () => {
    const plain = await connect(false);
    const batched = await connect(true);
    const plainWrites = await publishBurst(plain, 'plain', 200);
    const batchedWrites = await publishBurst(batched, 'batched', 200);
    assert.ok(plainWrites >= 100, `without batching each message is its own write (${plainWrites})`);
    assert.ok(batchedWrites <= 5, `with batching the burst leaves in a few writes, not ${batchedWrites}`);
    assert.deepEqual(await drainNumbers(batched, 'batched', 200), Array.from({ length: 200 }, (_, i) => i));
  });

  it('batches again on the socket of a reconnect', async () => {
    const connection = await connect(true);
    const reconnected = new Promise((resolve) => connection.once('connection', resolve));
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 100));
    proxy.restore();
    await reconnected;
    const writes = await publishBurst(connection, 'after-reconnect', 200);
    assert.ok(writes <= 5, `after a reconnect the burst leaves in a few writes, not ${writes}`);
    assert.equal((await drainNumbers(connection, 'after-reconnect', 200)).length, 200);
  });
});
