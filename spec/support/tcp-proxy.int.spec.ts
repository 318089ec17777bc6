// Spec for the fault-injection TCP proxy: it forwards a real AMQP connection, cut() breaks it (both sides) and
// refuses new sockets, restore() lets rabbitmq-client reconnect; stall() holds bytes without closing, resume() forwards them.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Connection } from 'rabbitmq-client';
import { needs } from './services.ts';
import { createTcpProxy, type ProxyDirection } from './tcp-proxy.ts';

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects a raw socket and resolves with what it saw before it closed (or times out). */
function probe(port: number, ms = 2000): Promise<{ connected: boolean; bytes: number; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const seen = { connected: false, bytes: 0, closed: false };
    socket.on('connect', () => (seen.connected = true));
    socket.on('data', (chunk) => (seen.bytes += chunk.length));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(seen);
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...seen, closed: true });
    });
  });
}

describe('createTcpProxy', () => {
  it('forwards an AMQP connection and taps the bytes both ways', needs('rabbitmq'), async () => {
    const proxy = await createTcpProxy({ targetPort: 5672 });
    const taps: Array<[ProxyDirection, Buffer]> = [];
    proxy.onData = (direction, chunk) => taps.push([direction, chunk]);
    const rabbit = new Connection({ url: `amqp://guest:guest@127.0.0.1:${proxy.port}`, retryLow: 100, retryHigh: 500 });
    rabbit.on('error', () => undefined);
    try {
      assert.notEqual(proxy.port, 5672);
      await rabbit.onConnect(5000);
      const declared = await rabbit.queueDeclare({ exclusive: true });
      assert.match(declared.queue, /^amq\.gen-/);
      assert.equal(proxy.connections, 1);
      const first = taps.find(([d]) => d === 'upstream')?.[1];
      assert.deepEqual(first?.subarray(0, 8), Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'), 'the client opens with the AMQP 0-9-1 header');
      assert.ok(taps.some(([d]) => d === 'downstream'), 'the broker answer is tapped');
    } finally {
      await rabbit.close();
      await proxy.close();
    }
  });

  it('cut() breaks a live rabbitmq-client Connection and refuses new sockets; restore() lets it reconnect', needs('rabbitmq'), async () => {
    const proxy = await createTcpProxy({ targetPort: 5672 });
    const rabbit = new Connection({ url: `amqp://guest:guest@127.0.0.1:${proxy.port}`, retryLow: 100, retryHigh: 500 });
    const errors: unknown[] = [];
    rabbit.on('error', (error) => errors.push(error));
    try {
      await rabbit.onConnect(5000);
      assert.equal(rabbit.ready, true);
      const failed = once(rabbit, 'error');
      proxy.cut();
      assert.equal(proxy.connections, 0);
      assert.equal(proxy.isCut, true);
      await withTimeout(failed, 3000, "the Connection's error event");
      assert.equal(rabbit.ready, false);

      const refused = await probe(proxy.port);
      assert.equal(refused.closed, true, 'a socket opened while cut is closed at once');
      assert.equal(refused.bytes, 0);
      assert.equal(proxy.connections, 0);
      await new Promise((r) => setTimeout(r, 300)); // several reconnect attempts hit the cut proxy
      assert.equal(rabbit.ready, false);

      const reconnected = once(rabbit, 'connection');
      proxy.restore();
      await withTimeout(reconnected, 5000, 'the reconnect after restore()');
      assert.equal(rabbit.ready, true);
      assert.equal(proxy.connections, 1);
      assert.match((await rabbit.queueDeclare({ exclusive: true })).queue, /^amq\.gen-/);
      assert.ok(errors.length >= 1);
    } finally {
      await rabbit.close();
      await proxy.close();
    }
  });

  it('cut() destroys both sides of every live pair', async () => {
    const targetSockets: net.Socket[] = [];
    const target = net.createServer((socket) => {
      targetSockets.push(socket);
      socket.on('error', () => undefined);
      socket.pipe(socket); // echo
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const address = target.address() as net.AddressInfo;
    const proxy = await createTcpProxy({ targetPort: address.port });
    try {
      const clients = await Promise.all([1, 2].map(async () => {
        const client = net.connect({ host: '127.0.0.1', port: proxy.port });
        client.on('error', () => undefined);
        client.write('ping');
        const [echo] = (await once(client, 'data')) as [Buffer];
        assert.equal(echo.toString(), 'ping');
        return client;
      }));
      assert.equal(proxy.connections, 2);
      assert.equal(targetSockets.length, 2);
      // Not events.once(): it rejects on the ECONNRESET 'error' that a reset peer emits before 'close'.
      const closes = [...clients, ...targetSockets].map((s) => withTimeout(new Promise((r) => s.once('close', r)), 2000, 'a socket close'));
      proxy.cut();
      await Promise.all(closes);
      assert.ok([...clients, ...targetSockets].every((s) => s.destroyed));

      proxy.restore();
      const again = net.connect({ host: '127.0.0.1', port: proxy.port });
      again.on('error', () => undefined);
      again.write('pong');
      const [echo] = (await withTimeout(once(again, 'data'), 2000, 'an echo after restore()')) as [Buffer];
      assert.equal(echo.toString(), 'pong');
      assert.equal(proxy.connections, 1);
      again.destroy();
    } finally {
      await proxy.close();
      target.close();
    }
  });

  it('stall() holds the bytes of live and new connections without closing them; resume() forwards them', async () => {
    const target = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.pipe(socket); // echo
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const proxy = await createTcpProxy({ targetPort: (target.address() as net.AddressInfo).port });
    try {
      const live = net.connect({ host: '127.0.0.1', port: proxy.port });
      live.on('error', () => undefined);
      await once(live, 'connect');
      proxy.stall();
      const fresh = net.connect({ host: '127.0.0.1', port: proxy.port });
      fresh.on('error', () => undefined);
      await once(fresh, 'connect');
      const seen = new Map<net.Socket, string>([[live, ''], [fresh, '']]);
      for (const [socket] of seen) socket.on('data', (chunk: Buffer) => seen.set(socket, seen.get(socket)! + chunk.toString()));
      live.write('held');
      fresh.write('new');
      // Not a timed assertion: whatever the wait, a stalled proxy forwards nothing and closes nothing.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual([...seen.values()], ['', '']);
      assert.ok(proxy.isStalled && !live.destroyed && !fresh.destroyed);
      proxy.resume();
      const echoed = () => seen.get(live) === 'held' && seen.get(fresh) === 'new';
      const deadline = Date.now() + 5000;
      while (!echoed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual([...seen.values()], ['held', 'new']);
      live.destroy();
      fresh.destroy();
    } finally {
      await proxy.close();
      target.close();
    }
  });

  it('close() stops listening, and a non-loopback target is refused', async () => {
    const proxy = await createTcpProxy({ targetPort: 5672 });
    await proxy.close();
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
    await assert.rejects(createTcpProxy({ targetPort: 5672, targetHost: '10.0.0.1' }), /not a 127\.0\.0\.0\/8 address/);
  });
});
