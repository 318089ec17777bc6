// The Redis cancellation listener: a dedicated subscriber on the scheduler's cancellation channel that
// aborts the matching running occurrence (or stops its scheduled retry) through the cancellation registry.
// Redis being away never stops jobs: the gap is logged once, the client reconnects and resubscribes.
import type { CancellationRegistry } from '../../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { parseCancellation, toRedisTarget, type RedisSettings } from './parse-cancellation.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';
import { errorMessage } from '../../core/util/error-message.js';
import { createRedisClient } from './create-redis-client.js';

/** The scheduler's default channel (`{KeyPrefix}cancellation_channel`). */
const DEFAULT_CANCELLATION_CHANNEL: string = WorkerDefaults.redis.cancellationChannel;

/** Redis as the worker sees it: `degraded` means cancellation is unavailable, not that the worker is down. */
export interface RedisHealth {
  readonly state: 'connected' | 'connecting' | 'degraded' | 'closed';
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
  /** Where it connects, `redis://host:port/db` (never the password). */
  readonly address: string;
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
  const { host, port, database, tls } = target.value;
  const channel = options.settings.cancellationChannel || DEFAULT_CANCELLATION_CHANNEL;
  const where = `${tls ? 'rediss' : 'redis'}://${host}:${port}/${database}`; // never the password
  const client = createRedisClient(target.value);
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
      logger.warn(`Redis ${where} unreachable (${lastError}): jobs keep running, dashboard cancellation is paused until it returns`);
    }
    setState('degraded');
  });
  client.on('ready', () => {
    if (state === 'degraded') logger.info(`Redis ${where} is back after ${Math.round((Date.now() - since) / 1000)} s; listening on ${channel} again`);
    setState('connected');
  });

  const onMessage = (payload: string) => onCancellation(options, channel, counts, payload);

  return {
    address: where,
    async start(timeoutMs = 5000) {
      const subscribed = client
        .connect()
        .then(() => client.subscribe(channel, onMessage))
        .then(() => {
          logger.info(`Listening for cancellations on ${where} ${channel}`);
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
    health: () => ({ state, since, lastError, cancellationsReceived: counts.received, ignoredMessages: counts.ignored }),
    async close() {
      closing = true;
      stopWaiting();
      setState('closed');
      try {
        if (client.isOpen) await client.close();
      } catch {
        client.destroy();
      }
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
