// Cancels an occurrence as Milvaion's scheduler does (protocol §2.8): the cancellation message, PUBLISHed on the
// Redis channel the workers subscribe to. Used by the test scheduler's cancel() and the CLI's `cancel`.
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import { errorMessage } from '../core/util/error-message.js';
import type { Result } from 'neverthrow';
import { parseCancellation, type RedisSettings } from '../control/redis/parse-cancellation.js';
import { toRedisTarget } from '../control/redis/to-redis-target.js';
import { createRedisClient, toRedisAddress, type RedisClient } from '../control/redis/create-redis-client.js';
import { toCancellationMessage } from '../control/redis/to-cancellation-message.js';

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
  /** The node it was published on, `redis://host:port/db`, never the password. */
  readonly address: string;
}

/** Publishes cancellation messages on one Redis; connects on the first publish. */
export interface CancellationPublisher {
  /** Where it publishes, `redis://host:port/db` (never the password); with several endpoints, all of them. */
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
  const parsed = toRedisTarget(resolved);
  if (parsed.isErr()) throw new Error(`Redis for cancellations: ${parsed.error}`);
  // Every endpoint is tried once (a CLI's cancel fails fast rather than waiting for Redis), each for connectTimeoutMs.
  const target = { ...parsed.value, connectTimeoutMs: options.connectTimeoutMs ?? parsed.value.connectTimeoutMs };
  const address = toRedisAddress(target);
  const channel = resolved.cancellationChannel || WorkerDefaults.redis.cancellationChannel;
  let client: RedisClient | undefined;
  let connecting: Promise<RedisClient> | undefined;

  const connect = () => {
    // A connection lost since (it is not made again by itself) is made anew, to whichever endpoint answers now.
    if (client !== undefined && !client.isOpen) connecting = undefined;
    return (connecting ??= (async () => {
      client = createRedisClient(target, { reconnect: false });
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
  };

  return {
    address,
    channel,
    async publish(cancel) {
      const occurrenceId = toOccurrenceId(cancel.occurrenceId);
      if (occurrenceId.isErr()) throw new Error(occurrenceId.error);
      const message = toCancellationMessage({ occurrenceId: cancel.occurrenceId, jobId: cancel.jobId, reason: cancel.reason ?? 'Cancelled by milvaion-worker' });
      const connected = await connect();
      const receivers = await connected.publish(channel, message);
      return { occurrenceId: occurrenceId.value, receivers, channel, address: toRedisAddress(target, connected.endpoint) };
    },
    async close() {
      const open = client;
      client = undefined;
      connecting = undefined;
      if (open?.isOpen === true) await open.close().catch(() => open.destroy());
    },
  };
}
