// watchStartup(): Milvaion 10.1's startup check. While a worker starts, a refusal by the broker (wrong user or
// password, a missing vhost, no permission) fails the start at once, and no connection within the startup
// timeout fails it then, each with one line naming the setting to check. Connected is what the check asks for:
// a start whose connections are up when the timeout passes, or connected during it (a cluster node restarting
// may drop one at that moment; the broker blocks publishing during a memory or disk alarm, so the registration
// waits), goes on, with one warning, and fails only if a connection stays down through a later timeout. After a successful start the worker retries outages forever; this watch is gone by then.
import type { Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { amqpErrorCode, amqpErrorText, isClientTimeout, isRefusal } from '../transports/amqp/amqp-error-text.js';
import { describeAmqpUrl } from '../transports/amqp/to-amqp-url.js';
import { StartupError } from './startup-error.js';

/** What the messages say about the broker: where, who, which vhost, and whether a `Url` setting was used. */
export interface BrokerTarget {
  readonly url: string;
  /** The settings gave a full `Url` (its user, password and vhost are in it), not the separate keys. */
  readonly fromUrl: boolean;
  /** Several brokers (`Worker:RabbitMQ:Hosts`): the messages name them all. */
  readonly hosts?: readonly string[] | undefined;
  /** The key that listed them: `Hosts`, or a `Host` with commas (default `Hosts`). The timeout names it. */
  readonly hostsKey?: 'Hosts' | 'Host' | undefined;
}

/** A running watch over one start. */
export interface StartupWatch {
  /** Rejects with a {@link StartupError} at a refusal or when the timeout passes; never resolves. */
  readonly failed: Promise<never>;
  /** Reports an error seen elsewhere (a channel's declarations): a refusal fails the start. */
  observe(error: unknown): void;
  /** What is left of the timeout (Infinity without one). */
  remainingMs(): number;
  /** Fails the start now with this error (the worker was closed). */
  fail(error: Error): void;
  /** While set, the timeout blames this step (Redis) instead of the broker, when the broker is connected. */
  waitingOn(step: (() => StartupError) | undefined): void;
  dispose(): void;
}

/**
 * Watches `connections` until `dispose()`; `timeoutMs` 0 waits for the broker forever (refusals still fail).
 * `logger` hears of a start still under way at the timeout with every connection up.
 */
export function watchStartup(target: BrokerTarget, connections: readonly Connection[], timeoutMs: number, logger: TechnicalLogger): StartupWatch {
  const where = describeAmqpUrl(target.url, target.hosts);
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  // The timeout names the connections' last error (the socket's ECONNREFUSED, ENOTFOUND, ETIMEDOUT…): a step
  // that waited for a connection fails with the client's own timeout text, which says nothing about why.
  let lastConnectionError: unknown;
  let lastOtherError: unknown;
  let reject!: (error: Error) => void;
  const failed = new Promise<never>((_, r) => (reject = r));
  failed.catch(() => undefined); // a watch that nobody races must not be an unhandled rejection
  const observe = (error: unknown) => {
    if (!isClientTimeout(error)) lastOtherError = error;
    if (isRefusal(error)) reject(refusalError(error, where, target.fromUrl));
    else if (isQueueTypeMismatch(error)) reject(queueTypeError(error, where));
  };
  const onConnectionError = (error: unknown) => {
    lastConnectionError = error;
    observe(error);
  };
  // The connections the broker blocks now (a memory or disk alarm), and why: rabbitmq-client corks a blocked
  // connection's socket, and then counts it as not `ready`, although it is connected.
  const blocked = new Map<Connection, string>();
  // The connections that (re)connected since the last timeout: one down at the very moment of a timeout, after it
  // connected, was reachable (a node of a cluster restarting), and reconnects by itself.
  const connectedLately = new Set<Connection>();
  const listeners = connections.map((c) => ({
    c,
    onBlocked: (reason: unknown) => void blocked.set(c, String(reason)),
    onUnblocked: () => void blocked.delete(c),
    onConnection: () => void connectedLately.add(c),
  }));
  for (const { c, onBlocked, onUnblocked, onConnection } of listeners) {
    c.on('error', onConnectionError);
    c.on('connection.blocked', onBlocked);
    c.on('connection.unblocked', onUnblocked);
    c.on('connection', onConnection);
  }
  let step: (() => StartupError) | undefined;
  let warned = false;
  let timer: NodeJS.Timeout | undefined;
  const atTimeout = () => {
    const connected = connections.every((c) => c.ready || blocked.has(c) || connectedLately.has(c));
    connectedLately.clear();
    if (step && connected) return reject(step());
    if (connected) {
      // Connected in time: what is left of the start waits on the broker (its registration, while an alarm blocks
      // publishing). Failing it here made `run` exit with a worker nothing restarts; it is checked again a timeout later.
      if (!warned) logger.warn(slowStartText(where.address, timeoutMs, [...blocked.values()][0]));
      warned = true;
      timer = setTimeout(atTimeout, timeoutMs);
      return;
    }
    const last = lastConnectionError ?? lastOtherError;
    const why = last === undefined ? 'no answer' : amqpErrorText(last);
    const keys = target.hosts !== undefined && target.hosts.length > 1 ? `Worker:RabbitMQ:${target.hostsKey ?? 'Hosts'}` : target.fromUrl ? 'Worker:RabbitMQ:Url' : 'Worker:RabbitMQ:Host and Worker:RabbitMQ:Port';
    reject(new StartupError(`RabbitMQ at ${where.address} did not accept a connection within ${timeoutMs / 1000} s (Worker:StartupConnectionTimeoutSeconds): ${why}; check ${keys}`, 'rabbitmq', 'unreachable'));
  };
  if (timeoutMs > 0) timer = setTimeout(atTimeout, timeoutMs);
  return {
    failed,
    observe,
    remainingMs: () => Math.max(0, deadline - Date.now()),
    fail: (error) => reject(error),
    waitingOn: (next) => (step = next),
    dispose() {
      clearTimeout(timer);
      for (const { c, onBlocked, onUnblocked, onConnection } of listeners) {
        c.off('error', onConnectionError);
        c.off('connection.blocked', onBlocked);
        c.off('connection.unblocked', onUnblocked);
        c.off('connection', onConnection);
      }
    },
  };
}

/** The warning for a start still under way at the timeout with every connection up. */
function slowStartText(address: string, timeoutMs: number, blockedBy: string | undefined): string {
  const within = `within ${timeoutMs / 1000} s (Worker:StartupConnectionTimeoutSeconds)`;
  return blockedBy === undefined
    ? `RabbitMQ at ${address} is connected, but the worker's start (declarations, consumers, registration) has not finished ${within}; it goes on waiting for the broker`
    : `RabbitMQ at ${address} is connected, but the broker has not taken the worker's registration ${within}: it blocks publishing (${blockedBy}); the worker registers once the broker unblocks it`;
}

type Where = ReturnType<typeof describeAmqpUrl>;

/** One line for a refusal: what the broker said and the keys to check (never the password's value). */
function refusalError(error: unknown, where: Where, fromUrl: boolean): StartupError {
  const said = amqpErrorText(error);
  const code = amqpErrorCode(error);
  const keys = (...names: string[]) => (fromUrl ? 'Worker:RabbitMQ:Url (its user, password and vhost)' : names.map((n) => `Worker:RabbitMQ:${n}`).join(' and '));
  let message: string;
  if (code === 'NOT_ALLOWED') {
    message = `RabbitMQ at ${where.address} does not let user "${where.user}" use virtual host "${where.vhost}" (${said}): check ${keys('VirtualHost')}, and the user's permissions on it`;
  } else if (/login was refused/i.test(said)) {
    message = `RabbitMQ at ${where.address} refused the login of user "${where.user}" (${said}): check ${keys('Username', 'Password')}`;
  } else {
    message = `RabbitMQ at ${where.address} refused user "${where.user}" on virtual host "${where.vhost}" (${said}): check the user's permissions there, or ${keys('Username', 'VirtualHost')}`;
  }
  return new StartupError(message, 'rabbitmq', 'refused');
}

/** A queue declared with another `x-queue-type` than the broker has: retrying cannot help. */
function isQueueTypeMismatch(error: unknown): boolean {
  return amqpErrorCode(error) === 'PRECONDITION_FAILED' && /x-queue-type/.test(amqpErrorText(error));
}

function queueTypeError(error: unknown, where: Where): StartupError {
  const message = `RabbitMQ at ${where.address} has a queue of this worker as another queue type (${amqpErrorText(error)}): Worker:RabbitMQ:QueueType must match the scheduler's MilvaionConfig:RabbitMQ:QueueType`;
  return new StartupError(message, 'rabbitmq', 'refused');
}
