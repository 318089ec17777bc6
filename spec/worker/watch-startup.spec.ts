// Specs of watchStartup(), the startup check: connected in time is what it asks for. A start whose connections
// are up when the timeout passes (the broker blocking publishing, so the registration waits) goes on with one
// warning, and so does one whose connection connected but is down at that moment; it fails only when a connection
// is down at a timeout without having connected since the one before.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchStartup } from '../../lib/worker/watch-startup.ts';
import { StartupError } from '../../lib/worker/startup-error.ts';
import { FakeConnection, flush } from '../support/fake-amqp.ts';
import { captureLogger } from '../support/loggers.ts';

const TARGET = { url: 'amqp://guest:guest@broker.local:5672/', fromUrl: false };

/** Watches two fake connections (consume, publish) with a 30 s timeout; `failure()` is the rejection so far. */
function watch(connections = [new FakeConnection(), new FakeConnection()]) {
  const logger = captureLogger();
  const w = watchStartup(TARGET, connections.map((c) => c.asConnection()), 30_000, logger);
  let failure: unknown;
  w.failed.catch((error: unknown) => (failure = error));
  return { w, logger, connections, failure: () => failure };
}

describe('watchStartup()', () => {
  it('fails a start whose connection is not up at the timeout, naming the keys to check', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { w, connections, failure } = watch();
    connections[1]!.ready = false;
    t.mock.timers.tick(30_000);
    await flush();
    assert.ok(failure() instanceof StartupError);
    assert.match((failure() as Error).message, /did not accept a connection within 30 s \(Worker:StartupConnectionTimeoutSeconds\).*Worker:RabbitMQ:Host and Worker:RabbitMQ:Port/);
    w.dispose();
  });

  it('lets a start go on whose connections are up at the timeout while the broker blocks publishing, with one warning', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { w, logger, connections, failure } = watch();
    // rabbitmq-client corks a blocked connection's socket and then says it is not `ready`.
    connections[1]!.emit('connection.blocked', 'low on memory');
    connections[1]!.ready = false;
    for (let i = 0; i < 3; i++) {
      t.mock.timers.tick(30_000);
      await flush();
    }
    assert.equal(failure(), undefined);
    assert.deepEqual(logger.messages('warn'), [
      "RabbitMQ at broker.local:5672 is connected, but the broker has not taken the worker's registration within 30 s (Worker:StartupConnectionTimeoutSeconds): it blocks publishing (low on memory); the worker registers once the broker unblocks it",
    ]);
    w.dispose();
  });

  it('after a timeout it let pass, fails the start at the next one if a connection is down by then', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { w, logger, connections, failure } = watch();
    t.mock.timers.tick(30_000);
    await flush();
    assert.equal(failure(), undefined);
    assert.match(logger.messages('warn')[0] ?? '', /is connected, but the worker's start \(declarations, consumers, registration\) has not finished within 30 s/);
    connections[0]!.ready = false;
    connections[0]!.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    t.mock.timers.tick(30_000);
    await flush();
    assert.match((failure() as Error | undefined)?.message ?? '', /did not accept a connection within 30 s.*read ECONNRESET/);
    w.dispose();
  });

  it('lets a start go on whose connection connected but is down at the timeout (a node restarting), and fails it if it stays down through the next', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { w, logger, connections, failure } = watch();
    connections[1]!.emit('connection');
    connections[1]!.ready = false;
    connections[1]!.emit('error', Object.assign(new Error("CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"), { code: 'CONNECTION_FORCED' }));
    t.mock.timers.tick(30_000);
    await flush();
    assert.equal(failure(), undefined);
    assert.equal(logger.messages('warn').length, 1);
    t.mock.timers.tick(30_000);
    await flush();
    assert.match((failure() as Error | undefined)?.message ?? '', /did not accept a connection within 30 s.*CONNECTION_FORCED/);
    w.dispose();
  });

  it('blames the step it waits on (Redis) when the connections are up at the timeout', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { w, failure } = watch();
    w.waitingOn(() => new StartupError('Redis at cache:6379 did not connect', 'redis', 'unreachable'));
    t.mock.timers.tick(30_000);
    await flush();
    assert.equal((failure() as Error | undefined)?.message, 'Redis at cache:6379 did not connect');
    w.dispose();
  });
});
