// The one place a Redis connection is made: the cancellation subscriber and the shared occurrence records each
// open one from the same target. redis is loaded when the first client is created, not when this module is
// imported: the milvaion-worker/amqp entry re-exports cancellation, and a worker without Redis never needs it.
import { createRequire } from 'node:module';
import type { createClient as CreateClient } from 'redis';
import type { RedisTarget } from './parse-cancellation.js';
import { retryDelay } from '../../core/engine/retry-delay.js';

let redis: { createClient: typeof CreateClient } | undefined;
const createClient: typeof CreateClient = ((...args: Parameters<typeof CreateClient>) =>
  (redis ??= createRequire(import.meta.url)('redis') as { createClient: typeof CreateClient }).createClient(...args)) as typeof CreateClient;

/** A client of a target: reconnects with a capped backoff and pings to notice a cut network. */
export function createRedisClient({ host, port, password, username, database, tls }: RedisTarget) {
  const common = { host, port, connectTimeout: 5000, reconnectStrategy: (retries: number) => retryDelay(Math.min(retries, 10), 50, { maxDelayMs: 2000 }) };
  return createClient({
    socket: tls ? { ...common, tls: true as const, servername: host } : { ...common, tls: false as const },
    ...(password === undefined ? {} : { password }),
    ...(username === undefined ? {} : { username }),
    database,
    // A half-open connection (a cut network) is noticed within seconds, not at the next command.
    pingInterval: 5000,
    disableClientInfo: true,
  });
}

