// startWorker(): Redis (when configured), the job consumers, then registration and heartbeats, all under the
// startup watch: a refusal fails the start at once, no connection within the startup timeout fails it then (a
// start that is connected but waits on a blocked broker goes on).
import { describeBrokers } from '../transports/amqp/to-amqp-url.js';
import { StartupError } from './startup-error.js';
import { watchStartup, type StartupWatch } from './watch-startup.js';
import { checkPublishTopology } from './check-publish-topology.js';
import type { WorkerParts } from './worker-parts.js';

/** Starts the parts; rejects with a {@link StartupError} that names the setting to check. */
export async function startWorker(p: WorkerParts): Promise<void> {
  p.logger.info(`Worker ${p.identity.instanceId} connecting to ${describeBrokers(p.url, p.hosts)}`);
  const watch = watchStartup({ url: p.url, fromUrl: p.fromUrl, hosts: p.hosts, hostsKey: p.hostsKey }, [p.connection, p.publishConnection], p.startupTimeoutMs, p.logger);
  p.startup = watch;
  try {
    await Promise.race([startParts(p, watch), watch.failed]);
  } finally {
    p.startup = undefined;
    watch.dispose();
  }
}

async function startParts(p: WorkerParts, watch: StartupWatch): Promise<void> {
  const { identity, logger, reporting, source, redis, presence } = p;
  const { outbox } = reporting;
  // The start can fail while a step below still waits (a refusal on another connection): then no step after
  // it runs, and nothing says the worker runs.
  let failed = false;
  watch.failed.catch(() => (failed = true));
  const pauseForOutbox = () => outbox && void source.pause(`the outbox is full (${outbox.health().reason ?? ''})`);
  if (outbox) {
    outbox.onPressure((full) => (full ? pauseForOutbox() : source.resume()));
    outbox.start();
  }
  let redisMissing = false;
  p.shared?.start();
  p.rateLimits?.start();
  if (redis) {
    // Without a startup timeout, or with the connection string's abortConnect=false, Redis gets 5 s and the worker
    // runs on without it until it comes back.
    const strict = p.startupTimeoutMs > 0 && redis.abortConnect;
    const redisError = () => {
      const why = redis.health().lastError ?? 'no answer';
      return new StartupError(`Redis at ${redis.address} did not connect within ${p.startupTimeoutMs / 1000} s (Worker:StartupConnectionTimeoutSeconds): ${why}; check Worker:Redis:ConnectionString`, 'redis', 'unreachable');
    };
    watch.waitingOn(redisError);
    const connected = await redis.start(strict ? watch.remainingMs() : 5000);
    watch.waitingOn(undefined);
    if (!connected && strict) return watch.fail(redisError());
    redisMissing = !connected;
  } else logger.info('Redis is not configured: cancellation from the dashboard is off');
  // Where statuses and logs go must be usable before the first job is taken.
  if (failed || !(await checkPublishTopology(p.publishConnection, p.queueType, watch))) return;
  source.start();
  await source.ready();
  if (failed) return;
  // Full before the consumers existed (a disk full at start): nothing paused them then; the start goes on, so
  // the worker registers, relays what it holds and reports not ready, and takes jobs once there is room.
  if (outbox?.health().full) pauseForOutbox();
  await presence.start();
  if (failed) return;
  p.registered = true;
  logger.info(`Worker ${identity.instanceId} consuming ${p.jobs.map((j) => `${j.definition.name} ← ${j.queue}`).join(', ')}`);
  // Said only now that the worker runs: after a failed start nothing may claim it does.
  if (redis && redisMissing && redis.health().state !== 'connected') {
    logger.warn(`Redis ${redis.address} not reachable yet (${redis.health().lastError ?? 'no answer'}): the worker runs, and cancellation from the dashboard starts when Redis is back`);
  }
}
