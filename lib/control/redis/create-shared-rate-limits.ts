// Rate limits shared by every process of one WorkerId: the same reservation algorithm as a process's own limiter
// (core/engine/create-rate-limiter.ts), run atomically in Redis by one script, on Redis's clock, so processes on
// machines whose clocks differ share one schedule. A bucket's key expires once its schedule has passed, so the
// keys of idle tenants do not stay. Redis away, or slower than `waitMs`, gives `undefined`: the caller limits on
// its own.
import type { SharedRateLimits } from '../../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { errorMessage } from '../../core/util/error-message.js';
import { gcraOf } from '../../core/engine/create-rate-limiter.js';
import type { RedisSettings } from './parse-cancellation.js';
import { toRedisTarget } from './to-redis-target.js';
import { closeRedisClient, createRedisClient, REDIS_NOW_MS, sendWithin } from './create-redis-client.js';

// KEYS[1]: the bucket; ARGV[1]: the spacing of turns (ms), ARGV[2]: the burst tolerance (ms). Returns the wait in ms.
const RESERVE = `${REDIS_NOW_MS}
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local start = tat - tolerance
if start < now then start = now end
local following = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', following), 'PX', math.ceil(following - now) + 1)
return math.ceil(start - now)`;

/** Options of {@link createSharedRateLimits}. */
export interface SharedRateLimitsOptions {
  readonly settings: RedisSettings;
  readonly workerId: string;
  readonly logger: TechnicalLogger;
  /** The prefix of every key (default `Milvaion:JobScheduler:`). */
  readonly keyPrefix?: string | undefined;
  /** Longest wait for Redis's answer before the process limits on its own (default 1000 ms). */
  readonly waitMs?: number | undefined;
}

/** The shared limits, with their connection. */
export interface SharedRateLimitStore extends SharedRateLimits {
  /** Connects in the background; until it is ready every reservation answers `undefined`. */
  start(): void;
  close(): Promise<void>;
}

/** Creates the shared limits; throws at once when the settings cannot make a Redis address. */
export function createSharedRateLimits(options: SharedRateLimitsOptions): SharedRateLimitStore {
  const target = toRedisTarget(options.settings);
  if (target.isErr()) throw new Error(target.error);
  const client = createRedisClient(target.value);
  const waitMs = options.waitMs ?? 1000;
  // One hash slot for every key of a WorkerId, so the script also runs on a Redis Cluster.
  const base = `${options.keyPrefix ?? 'Milvaion:JobScheduler:'}rate-limit:{${options.workerId}}:`;
  let away = false;
  client.on('error', (error: unknown) => {
    if (away) return;
    away = true;
    options.logger.debug(`Shared rate limits: Redis away (${errorMessage(error)})`);
  });
  client.on('ready', () => void (away = false));
  return {
    start() {
      client.connect().catch(() => undefined); // reconnects by itself; 'error' says it once
    },
    close() {
      return closeRedisClient(client);
    },
    async reserve(bucket, limit) {
      const { intervalMs, toleranceMs } = gcraOf(limit);
      const answer = await sendWithin(client, ['EVAL', RESERVE, '1', base + bucket, String(intervalMs), String(toleranceMs)], waitMs, (error) =>
        options.logger.debug(`Shared rate limits: a reservation failed: ${errorMessage(error)}`),
      );
      return answer === undefined ? undefined : Math.max(0, Number(answer));
    },
  };
}
