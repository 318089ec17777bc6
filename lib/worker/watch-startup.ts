// watchStartup(): Milvaion 10.1's startup check. While a worker starts, a refusal by the broker (wrong user or
// password, a missing vhost, no permission) fails the start at once, and no connection within the startup
// timeout fails it then, each with one line naming the setting to check. After a successful start the worker
// retries outages forever; this watch is gone by then.
import type { Connection } from 'rabbitmq-client';
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

/** Watches `connections` until `dispose()`; `timeoutMs` 0 waits for the broker forever (refusals still fail). */
export function watchStartup(target: BrokerTarget, connections: readonly Connection[], timeoutMs: number): StartupWatch {
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
  for (const c of connections) c.on('error', onConnectionError);
  let step: (() => StartupError) | undefined;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          if (step && connections.every((c) => c.ready)) return reject(step());
          const last = lastConnectionError ?? lastOtherError;
          const why = last === undefined ? 'no answer' : amqpErrorText(last);
          const keys = target.hosts !== undefined && target.hosts.length > 1 ? `Worker:RabbitMQ:${target.hostsKey ?? 'Hosts'}` : target.fromUrl ? 'Worker:RabbitMQ:Url' : 'Worker:RabbitMQ:Host and Worker:RabbitMQ:Port';
          reject(new StartupError(`RabbitMQ at ${where.address} did not accept a connection within ${timeoutMs / 1000} s (Worker:StartupConnectionTimeoutSeconds): ${why}; check ${keys}`, 'rabbitmq', 'unreachable'));
        }, timeoutMs)
      : undefined;
  return {
    failed,
    observe,
    remainingMs: () => Math.max(0, deadline - Date.now()),
    fail: (error) => reject(error),
    waitingOn: (next) => (step = next),
    dispose() {
      clearTimeout(timer);
      for (const c of connections) c.off('error', onConnectionError);
    },
  };
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
