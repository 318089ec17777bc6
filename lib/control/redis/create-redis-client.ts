// The one place a Redis connection is made: the cancellation subscriber, the cancellation publisher and the shared
// occurrence records each open one from a target. What comes back is always node-redis's client API (commands,
// connect(), on('error' | 'ready'), isReady, isOpen, close(), destroy(), subscribe(), duplicate()) plus `endpoint`,
// the node in use. Behind it, by the target:
// - one endpoint: node-redis's own client, which reconnects to that node;
// - several endpoints: createFailoverClient(), one node-redis client at a time, the endpoints tried in turn;
// - a serviceName: node-redis's Sentinel (createSentinel), adapted: sendCommand(args) runs on the primary, and
//   destroy() does not wait. Sentinel is typed as the client it stands in for; a method only a plain client has
//   is not there.
// redis is loaded when the first client is created, not when this module is imported: the milvaion-worker/amqp
// entry re-exports cancellation, and a worker without Redis never needs it.
import { createRequire } from 'node:module';
import type { createClient as CreateClient, createSentinel as CreateSentinel } from 'redis';
import type { RedisEndpoint, RedisTarget } from './to-redis-target.js';
import { retryDelay } from '../../core/engine/retry-delay.js';
import { createFailoverClient, type NodeClientFactory } from './create-failover-client.js';

interface RedisModule {
  readonly createClient: typeof CreateClient;
  readonly createSentinel: typeof CreateSentinel;
}
let redis: RedisModule | undefined;
const loadRedis = (): RedisModule => (redis ??= createRequire(import.meta.url)('redis') as RedisModule);

/** How a client made by {@link createRedisClient} behaves when its node is away. */
export interface RedisClientOptions {
  /** false: one try of each endpoint, then connect() rejects, and a lost connection is not made again (a CLI's publish). Default true. */
  readonly reconnect?: boolean;
}

/** A capped backoff between rounds over the endpoints (or between reconnects to the one node). */
const backoff = (retries: number): number => retryDelay(Math.min(retries, 10), 50, { maxDelayMs: 2000 });

/** `host:port` as a log line shows it: IPv6 in brackets, never a password. */
const toEndpointText = ({ host, port }: RedisEndpoint): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Where a target points, for logs and health, never with the password: `redis://node:port/db` for the node in use
 * (`endpoint`), else every endpoint (`redis://a:6379,b:6379/0`), or the Sentinels and the service name.
 */
export function toRedisAddress(target: RedisTarget, endpoint?: string | undefined): string {
  const scheme = target.tls ? 'rediss' : 'redis';
  if (endpoint !== undefined) return `${scheme}://${endpoint}/${target.database}`;
  const all = target.endpoints.map(toEndpointText).join(',');
  return target.serviceName === undefined ? `${scheme}://${all}/${target.database}` : `${scheme}://${target.serviceName}/${target.database} (Sentinels ${all})`;
}

function createNodeClient(target: RedisTarget, endpoint: RedisEndpoint, reconnect: boolean) {
  const { host, port } = endpoint;
  const common = { host, port, connectTimeout: target.connectTimeoutMs, reconnectStrategy: reconnect ? backoff : (false as const) };
  return loadRedis().createClient({
    socket: target.tls ? { ...common, tls: true as const, servername: target.tlsServername ?? host } : { ...common, tls: false as const },
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.clientName === undefined ? {} : { name: target.clientName }),
    database: target.database,
    commandOptions: { timeout: target.commandTimeoutMs },
    // A half-open connection (a cut network) is noticed within seconds, not at the next command.
    pingInterval: 5000,
    disableClientInfo: true,
  });
}

/** node-redis's client, as every caller uses it. */
type NodeRedisClient = ReturnType<typeof createNodeClient>;

/** A client made by {@link createRedisClient}: node-redis's client, and the node it uses (`host:port`, undefined while it has none). */
export type RedisClient = NodeRedisClient & { readonly endpoint: string | undefined };

/** Creates a client of a target (not yet connected): one node, several tried in turn, or the primary a Sentinel names. */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
  const reconnect = options.reconnect ?? true;
  if (target.serviceName !== undefined) return toSentinelClient(target, target.serviceName, reconnect);
  const [only] = target.endpoints;
  if (target.endpoints.length === 1 && only !== undefined) {
    const make = (): RedisClient => withOverrides(createNodeClient(target, only, reconnect), { endpoint: toEndpointText(only), duplicate: make });
    return make();
  }
  const factory: NodeClientFactory<NodeRedisClient> = (endpoint) => createNodeClient(target, endpoint, false);
  return createFailoverClient(target.endpoints, factory, { reconnect, waitMs: target.commandTimeoutMs, backoff }) as unknown as RedisClient;
}

/** node-redis's Sentinel client, shaped as the plain client: the primary is the node in use. */
function toSentinelClient(target: RedisTarget, name: string, reconnect: boolean): RedisClient {
  const socket = { connectTimeout: target.connectTimeoutMs, ...(target.tls ? { tls: true as const, ...(target.tlsServername === undefined ? {} : { servername: target.tlsServername }) } : {}) };
  const make = (): RedisClient => {
    const sentinel = loadRedis().createSentinel({
      name,
      sentinelRootNodes: [...target.endpoints],
      // The credentials are the Redis nodes'; Sentinels are asked without them (docs/configuration.md, Redis).
      nodeClientOptions: {
        socket,
        ...(target.password === undefined ? {} : { password: target.password }),
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.clientName === undefined ? {} : { name: target.clientName }),
        database: target.database,
        pingInterval: 5000,
        disableClientInfo: true,
      },
      sentinelClientOptions: { socket, disableClientInfo: true },
      commandOptions: { timeout: target.commandTimeoutMs },
      masterPoolSize: 1,
      // Errors of the clients inside reach the one 'error' listener, so health can say why Redis is away.
      passthroughClientErrorEvents: true,
    });
    return withOverrides(sentinel, {
      get endpoint() {
        const node = sentinel.getMasterNode();
        return node === undefined || !sentinel.isReady ? undefined : toEndpointText(node);
      },
      sendCommand: (args: Parameters<NodeRedisClient['sendCommand']>[0], commandOptions?: Parameters<NodeRedisClient['sendCommand']>[1]) => sentinel.sendCommand(false, [...args], commandOptions),
      // node-redis's Sentinel keeps trying to connect forever; without reconnect, each Sentinel gets one connectTimeout.
      connect: reconnect ? () => sentinel.connect() : () => connectOnce(sentinel, target.connectTimeoutMs * target.endpoints.length),
      destroy: () => void sentinel.destroy().catch(() => undefined),
      duplicate: make,
    }) as unknown as RedisClient;
  };
  return make();
}

/** Connects, or destroys the client and rejects once `ms` passed first. */
async function connectOnce<T extends { connect(): Promise<unknown>; destroy(): Promise<void> }>(client: T, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no Sentinel named a reachable primary within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([client.connect(), late]);
    return client;
  } catch (error) {
    await client.destroy().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** `base` with some properties replaced; every other one read from `base`, its methods bound to it. */
function withOverrides<T extends object>(base: T, own: object): T & { readonly endpoint: string | undefined } {
  return new Proxy(base, {
    get(target, prop) {
      if (Object.hasOwn(own, prop)) return Reflect.get(own, prop) as unknown;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as T & { readonly endpoint: string | undefined };
}

/** Closes a client politely, or drops its connection when that fails (a node away): never rejects. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  try {
    if (client.isOpen) await client.close();
  } catch {
    client.destroy();
  }
}

/** A Lua prelude that sets `now` to Redis's clock in ms, for scripts that several processes share a schedule through. */
export const REDIS_NOW_MS = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/**
 * Sends a command and resolves with its reply, or `undefined` when the client is not ready, the command fails
 * (told to `onError`) or no reply came within `waitMs`: never a rejection, so a caller can fall back at once.
 */
export async function sendWithin(client: RedisClient, args: string[], waitMs: number, onError: (error: unknown) => void): Promise<unknown> {
  if (!client.isReady) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, waitMs, undefined)));
  try {
    return await Promise.race([client.sendCommand(args), late]);
  } catch (error) {
    onError(error);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
