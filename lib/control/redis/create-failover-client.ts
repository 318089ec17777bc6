// A Redis client over several endpoints (StackExchange's `redis1:6379,redis2:6379`): one node-redis client at a
// time, made for one endpoint and never reconnected; when it cannot connect or its connection drops, the next
// endpoint is tried, round after round with a capped backoff, until one answers or the client is closed.
// In a round the primary wins: each answering node is asked its ROLE, and a replica is used only when no node of
// the round is a primary (a subscriber still hears what the primary publishes, and a promoted replica is then
// the node in use). A lost connection starts the next round at the endpoint after the one that was lost.
// Shaped as node-redis's client: any other property or command goes to the client in use; a command sent while
// no node is connected waits for one at most `waitMs`, then rejects. Channel subscriptions are kept here and
// made again on each new node; pattern and sharded subscriptions are not carried over.
import { EventEmitter } from 'node:events';
import type { RedisEndpoint } from './to-redis-target.js';
import { errorMessage } from '../../core/util/error-message.js';

/** What a failover client needs of a node-redis client. */
interface NodeClient {
  connect(): Promise<unknown>;
  on(event: 'error' | 'terminated', listener: (error: Error) => void): unknown;
  sendCommand(args: string[]): Promise<unknown>;
  subscribe(channels: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channels: string): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): unknown;
  readonly isOpen: boolean;
  readonly isReady: boolean;
}

/** Makes a node-redis client for one endpoint that does not reconnect by itself. */
export type NodeClientFactory<C> = (endpoint: RedisEndpoint) => C;

type Listener = (message: string, channel: string) => void;

/** Options of {@link createFailoverClient}. */
interface FailoverOptions {
  /** false: one round, and a lost connection is not made again. */
  readonly reconnect: boolean;
  /** How long a command sent while no node is connected waits for one. */
  readonly waitMs: number;
  /** The wait before round `n` (from 1). */
  readonly backoff: (round: number) => number;
}

/** Creates a client that uses the first endpoint that answers, preferring a primary, and moves on when it is lost. */
export function createFailoverClient<C extends NodeClient>(endpoints: readonly RedisEndpoint[], make: NodeClientFactory<C>, options: FailoverOptions): C {
  const events = new EventEmitter();
  // Any listener at all: node-redis requires one for 'error', and ours forwards to the caller's.
  events.on('error', () => undefined);
  // Never connected, and released at once: tells a method from a value before a node is in use.
  const template = make(endpoints[0]!);
  template.destroy();
  const subscriptions = new Map<string, Set<Listener>>();
  const waiters = new Set<() => void>();
  let current: { client: C; index: number } | undefined;
  let open = false;
  let ready = false;

  const text = (i: number) => {
    const { host, port } = endpoints[i]!;
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  };
  const dispatch = (channel: string) => (message: string) => {
    for (const listener of subscriptions.get(channel) ?? []) listener(message, channel);
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Connects one endpoint; its role, or undefined when it did not answer (the error is emitted). */
  async function tryEndpoint(i: number): Promise<{ client: C; primary: boolean } | undefined> {
    const client = make(endpoints[i]!);
    const failed = (error: unknown) => events.emit('error', new Error(`${text(i)}: ${errorMessage(error)}`, { cause: error }));
    // Until it is in use, what went wrong is said once, below; a client not in use says nothing.
    client.on('error', (error: Error) => void (current?.client === client && failed(error)));
    try {
      await client.connect();
      const role = await client.sendCommand(['ROLE']);
      return { client, primary: Array.isArray(role) && role[0] === 'master' };
    } catch (error) {
      failed(error);
      client.destroy();
      return undefined;
    }
  }

  /** Rounds over the endpoints from `first` until one is in use (true) or the client is closed (false). */
  async function choose(first: number): Promise<boolean> {
    for (let round = 0; open; round++) {
      if (round > 0) {
        if (!options.reconnect) return false;
        await sleep(options.backoff(round));
      }
      let replica: { client: C; index: number } | undefined;
      for (let k = 0; k < endpoints.length && open; k++) {
        const index = (first + k) % endpoints.length;
        const found = await tryEndpoint(index);
        if (found === undefined) continue;
        if (found.primary) {
          if (replica) void replica.client.close().catch(() => replica?.client.destroy());
          return adopt(found.client, index);
        }
        if (replica === undefined) replica = { client: found.client, index };
        else found.client.destroy();
      }
      if (replica) return adopt(replica.client, replica.index);
    }
    return false;
  }

  async function adopt(client: C, index: number): Promise<boolean> {
    if (!open) {
      client.destroy();
      return false;
    }
    current = { client, index };
    // Made without reconnects: a dropped connection ends the client ('terminated'), and the next endpoint is tried.
    client.on('terminated', () => void lost(client));
    try {
      for (const channel of subscriptions.keys()) await client.subscribe(channel, dispatch(channel));
    } catch (error) {
      events.emit('error', new Error(`${text(index)}: ${errorMessage(error)}`, { cause: error }));
      client.destroy();
      return choose((index + 1) % endpoints.length);
    }
    ready = true;
    for (const wake of waiters) wake();
    events.emit('ready');
    return true;
  }

  /** The client in use ended (its node went away, or close()). */
  async function lost(client: C): Promise<void> {
    if (current?.client !== client || !open) return;
    ready = false;
    if (!options.reconnect) {
      open = false;
      events.emit('end');
      return;
    }
    events.emit('reconnecting');
    if (!(await choose((current.index + 1) % endpoints.length)) && !open) events.emit('end');
  }

  /** The client in use, once there is one; rejects after `waitMs` without a node. */
  function inUse(): Promise<C> {
    if (ready && current) return Promise.resolve(current.client);
    if (!open) return Promise.reject(new Error('The client is closed'));
    return new Promise((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (ready && current) resolve(current.client);
        else reject(new Error(open ? `no Redis node answered within ${options.waitMs} ms` : 'The client is closed'));
      };
      const timer = setTimeout(wake, options.waitMs);
      waiters.add(wake);
    });
  }

  async function shut(how: 'close' | 'destroy'): Promise<void> {
    open = false;
    ready = false;
    const c = current?.client;
    current = undefined;
    for (const wake of waiters) wake();
    if (c?.isOpen === true) {
      if (how === 'close') await c.close().catch(() => c.destroy());
      else c.destroy();
    }
    events.emit('end');
  }

  const own = {
    get endpoint() {
      return ready && current ? text(current.index) : undefined;
    },
    get isOpen() {
      return open;
    },
    get isReady() {
      return ready && current?.client.isReady === true;
    },
    async connect() {
      if (open) throw new Error('Socket already opened');
      open = true;
      if (!(await choose(0))) throw new Error(open ? `no Redis node answered: ${endpoints.map((_, i) => text(i)).join(', ')}` : 'The client is closed');
      return proxy;
    },
    on(event: string, listener: (...args: unknown[]) => void) {
      events.on(event, listener);
      return proxy;
    },
    off(event: string, listener: (...args: unknown[]) => void) {
      events.off(event, listener);
      return proxy;
    },
    async subscribe(channels: string | string[], listener: Listener) {
      for (const channel of [channels].flat()) {
        const known = subscriptions.get(channel);
        if (known) known.add(listener);
        else {
          subscriptions.set(channel, new Set([listener]));
          if (ready && current) await current.client.subscribe(channel, dispatch(channel));
        }
      }
    },
    async unsubscribe(channels: string | string[], listener?: Listener) {
      for (const channel of [channels].flat()) {
        const known = subscriptions.get(channel);
        if (listener) known?.delete(listener);
        if (listener && known && known.size > 0) continue;
        subscriptions.delete(channel);
        if (ready && current) await current.client.unsubscribe(channel);
      }
    },
    close: () => shut('close'),
    destroy: () => void shut('destroy'),
    duplicate: () => createFailoverClient(endpoints, make, options),
  };

  const proxy: C = new Proxy(template, {
    get(target, prop) {
      if (Object.hasOwn(own, prop)) return Reflect.get(own, prop) as unknown;
      const node = ready && current ? current.client : target;
      const value = Reflect.get(node, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (node !== target) return (value as (...args: unknown[]) => unknown).bind(node);
      // No node yet: a command waits for one.
      return (...args: unknown[]) => inUse().then((c) => (Reflect.get(c, prop) as (...a: unknown[]) => unknown).apply(c, args));
    },
  });
  return proxy;
}
