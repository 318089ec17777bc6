// Cancels an occurrence as Milvaion's scheduler does (protocol §2.8): the cancellation message, PUBLISHed on the
// Redis channel the workers subscribe to. Used by the test scheduler's cancel() and the CLI's `cancel`.
import { createRequire } from 'node:module';
import type { createClient as CreateClient } from 'redis';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import { errorMessage } from '../core/util/error-message.js';
import type { Result } from 'neverthrow';
import { parseCancellation, toRedisTarget, type RedisSettings } from '../control/redis/parse-cancellation.js';
import { toCancellationMessage } from '../control/redis/to-cancellation-message.js';

// redis is loaded when the first publisher is created: importing milvaion-worker/testing (or starting the CLI)
// does not load a Redis client nobody uses.
let redis: { createClient: typeof CreateClient } | undefined;
const loadRedis = () => (redis ??= createRequire(import.meta.url)('redis') as { createClient: typeof CreateClient });

/** One cancel to publish: the occurrence, and optionally its job id and a reason. */
interface CancellationToPublish {
  readonly occurrenceId: string;
  /** Sent as `JobId` (null when absent: workers cancel by occurrence). */
  readonly jobId?: string | undefined;
  /** Default "Cancelled by milvaion-worker". */
  readonly reason?: string | undefined;
}

/** What a publish reached: the Redis PUBLISH reply (the subscribers that received it) and where it went. */
export interface PublishedCancellation {
  readonly occurrenceId: string;
  /** The subscribers (workers' cancellation listeners) that received the message. */
  readonly receivers: number;
  readonly channel: string;
  /** `redis://host:port/db`, never the password. */
  readonly address: string;
}

/** Publishes cancellation messages on one Redis; connects on the first publish. */
export interface CancellationPublisher {
  /** Where it publishes, `redis://host:port/db` (never the password). */
  readonly address: string;
  readonly channel: string;
  /** Publishes the cancel; rejects when the occurrence id is not a UUID or Redis cannot be reached. */
  publish(cancel: CancellationToPublish): Promise<PublishedCancellation>;
  /** Closes the Redis connection, if one was opened. */
  close(): Promise<void>;
}

/** The occurrence id as workers will match it (lower case), or why they would ignore a cancel for it (not a UUID). */
export function toOccurrenceId(text: string): Result<string, string> {
  // The workers' own parser decides what a valid message is: a cancel they would ignore is refused here.
  return parseCancellation(toCancellationMessage({ occurrenceId: text, jobId: undefined, reason: '' })).map((request) => request.occurrenceId).mapErr(() => `Cannot cancel "${text}": the occurrence id must be a UUID`);
}

/** Creates a publisher for a Redis given as the worker's `Worker:Redis` settings (or a connection string); throws when they make no address. */
export function createCancellationPublisher(settings: RedisSettings | string, options: { readonly connectTimeoutMs?: number } = {}): CancellationPublisher {
  const resolved: RedisSettings = typeof settings === 'string' ? { connectionString: settings } : settings;
  const target = toRedisTarget(resolved);
  if (target.isErr()) throw new Error(`Redis for cancellations: ${target.error}`);
  const { host, port, password, username, database, tls } = target.value;
  const address = `${tls ? 'rediss' : 'redis'}://${host}:${port}/${database}`;
  const channel = resolved.cancellationChannel || WorkerDefaults.redis.cancellationChannel;
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  let client: ReturnType<typeof CreateClient> | undefined;
  let connecting: Promise<ReturnType<typeof CreateClient>> | undefined;

  const connect = () =>
    (connecting ??= (async () => {
      const common = { host, port, connectTimeout, reconnectStrategy: false as const };
      client = loadRedis().createClient({
        socket: tls ? { ...common, tls: true as const, servername: host } : { ...common, tls: false as const },
        ...(password === undefined ? {} : { password }),
        ...(username === undefined ? {} : { username }),
        database,
        disableClientInfo: true,
      });
      client.on('error', () => undefined); // a failed connect rejects connect() below; nothing else listens
      try {
        await client.connect();
      } catch (error) {
        connecting = undefined;
        client.destroy();
        throw new Error(`Redis ${address} not reachable: ${errorMessage(error)}`, { cause: error });
      }
      return client;
    })());

  return {
    address,
    channel,
    async publish(cancel) {
      const occurrenceId = toOccurrenceId(cancel.occurrenceId);
      if (occurrenceId.isErr()) throw new Error(occurrenceId.error);
      const message = toCancellationMessage({ occurrenceId: cancel.occurrenceId, jobId: cancel.jobId, reason: cancel.reason ?? 'Cancelled by milvaion-worker' });
      const receivers = await (await connect()).publish(channel, message);
      return { occurrenceId: occurrenceId.value, receivers, channel, address };
    },
    async close() {
      const open = client;
      client = undefined;
      connecting = undefined;
      if (open?.isOpen === true) await open.close().catch(() => open.destroy());
    },
  };
}
