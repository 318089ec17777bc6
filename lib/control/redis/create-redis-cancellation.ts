// The Redis cancellation listener: a dedicated subscriber on the scheduler's cancellation channel that
// aborts the matching running occurrence (or stops its scheduled retry) through the cancellation registry.
// Redis being away never stops jobs: the gap is logged once, the client reconnects (to the next endpoint, or to
// the primary a Sentinel names) and resubscribes, and the node it reached is logged.
import type { CancellationRegistry } from '../../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { parseCancellation, type RedisSettings } from './parse-cancellation.js';
import { toRedisTarget } from './to-redis-target.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';
import { errorMessage } from '../../core/util/error-message.js';
import { closeRedisClient, createRedisClient, toRedisAddress } from './create-redis-client.js';

/** The scheduler's default channel (`{KeyPrefix}cancellation_channel`). */
const DEFAULT_CANCELLATION_CHANNEL: string = WorkerDefaults.redis.cancellationChannel;

/** Redis as the worker sees it: `degraded` means cancellation is unavailable, not that the worker is down. */
export interface RedisHealth {
  readonly state: 'connected' | 'connecting' | 'degraded' | 'closed';
  /** The node in use, `redis://host:port/db` (never the password); every configured endpoint while none is. */
  readonly address: string;
  readonly since: number;
  readonly lastError: string | undefined;
  readonly cancellationsReceived: number;
  readonly ignoredMessages: number;
}

/** The running listener. */
export interface RedisCancellation {
  /**
   * Connects and subscribes in the background; resolves true once subscribed the first time, false when
   * `timeoutMs` passed first or the listener was closed (it keeps trying in the background until closed).
   */
  start(timeoutMs?: number): Promise<boolean>;
  /** The node in use, `redis://host:port/db` (never the password); every configured endpoint while none is. */
  readonly address: string;
  /** The connection string's `abortConnect` (default true): false lets the worker start before Redis answers. */
  readonly abortConnect: boolean;
  /** The listener's connection state and counters, for health checks. */
  health(): RedisHealth;
  /** Unsubscribes and closes the Redis connection. */
  close(): Promise<void>;
}

/** Options of {@link createRedisCancellation}. */
export interface RedisCancellationOptions {
  readonly settings: RedisSettings;
  readonly registry: CancellationRegistry;
  readonly logger: TechnicalLogger;
  /** Called for every cancel that reached a running or retry-waiting occurrence (benchmarks, metrics). */
  readonly onCancel?: (occurrenceId: string) => void;
}

/** The message counts behind {@link RedisHealth}. */
interface MessageCounts {
  received: number;
  ignored: number;
  lastIgnoredLog: number;
}

/** Creates the listener; throws at once when the settings cannot make a Redis address. */
export function createRedisCancellation(options: RedisCancellationOptions): RedisCancellation {
  const { logger } = options;
  const target = toRedisTarget(options.settings);
  if (target.isErr()) throw new Error(target.error);
  const channel = options.settings.cancellationChannel || DEFAULT_CANCELLATION_CHANNEL;
  const client = createRedisClient(target.value);
  const where = () => toRedisAddress(target.value, client.endpoint); // never the password
  let reached: string | undefined; // the last node subscribed on, to log a move to another
  for (const option of target.value.ignoredOptions) logger.info(`Redis:ConnectionString option ${option} is accepted and ignored`);
  let state: RedisHealth['state'] = 'connecting';
  let since = Date.now();
  let lastError: string | undefined;
  const counts: MessageCounts = { received: 0, ignored: 0, lastIgnoredLog: 0 };
  let closing = false;
  let stopWaiting = (): void => undefined;

  const setState = (next: RedisHealth['state']) => {
    if (next === state) return;
    state = next;
    since = Date.now();
  };

  client.on('error', (error: unknown) => {
    lastError = errorMessage(error);
    if (closing) return;
    // One line per outage, however many reconnect attempts it takes. Before the first connection nothing runs
    // yet: the worker's start says what it does without Redis (fail, or run and say so once it runs).
    if (state === 'connected') {
      logger.warn(`Redis ${toRedisAddress(target.value, reached ?? client.endpoint)} unreachable (${lastError}): jobs keep running, dashboard cancellation is paused until it returns`);
    }
    setState('degraded');
  });
  client.on('ready', () => {
    const node = client.endpoint;
    if (state === 'degraded') {
      const moved = node !== undefined && reached !== undefined && node !== reached ? `, on another node (it was ${reached})` : '';
      logger.info(`Redis ${where()} is back after ${Math.round((Date.now() - since) / 1000)} s${moved}; listening on ${channel} again`);
    }
    reached = node ?? reached;
    setState('connected');
  });

  const onMessage = (payload: string) => onCancellation(options, channel, counts, payload);

  return {
    get address() {
      return where();
    },
    abortConnect: target.value.abortConnect,
    async start(timeoutMs = 5000) {
      const subscribed = client
        .connect()
        .then(() => client.subscribe(channel, onMessage))
        .then(() => {
          reached = client.endpoint ?? reached;
          logger.info(`Listening for cancellations on ${where()} ${channel}`);
          return true;
        })
        .catch((error: unknown) => {
          if (!closing) logger.warn(`Redis cancellation could not start: ${errorMessage(error)}`);
          return false;
        });
      let timer: NodeJS.Timeout | undefined;
      // close() ends the wait too. Nothing is logged here for a miss: whether the worker then runs is its start's to say.
      const missed = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
        stopWaiting = () => resolve(false);
      });
      const waited = await Promise.race([subscribed, missed]);
      clearTimeout(timer);
      return waited;
    },
    health: () => ({ state, address: where(), since, lastError, cancellationsReceived: counts.received, ignoredMessages: counts.ignored }),
    async close() {
      closing = true;
      stopWaiting();
      setState('closed');
      await closeRedisClient(client);
    },
  };
}

/** Handles one message of the channel: cancels the occurrence it names, or counts it as ignored. */
function onCancellation(options: RedisCancellationOptions, channel: string, counts: MessageCounts, payload: string): void {
  const { registry, logger } = options;
  const parsed = parseCancellation(payload);
  if (parsed.isErr()) {
    counts.ignored++;
    // Garbage on the channel is logged, at most once a second, and never stops the listener.
    if (Date.now() - counts.lastIgnoredLog > 1000) {
      counts.lastIgnoredLog = Date.now();
      logger.warn(`Ignored a message on ${channel}: ${parsed.error}`);
    }
    return;
  }
  counts.received++;
  const { occurrenceId, reason } = parsed.value;
  if (registry.cancel(occurrenceId, reason)) {
    logger.info(`Cancel for ${occurrenceId}: ${reason}`);
    options.onCancel?.(occurrenceId);
  } else {
    logger.debug(`Cancel for ${occurrenceId} ignored: it does not run here`);
  }
}
