// Slots every process of one WorkerId shares, for MaxParallelJobsGlobal: one sorted set per job type in Redis whose
// members are the runs holding a slot, each scored by its lease's end on Redis's clock. Taking a slot first drops
// the leases that ran out (a process that died frees its slots within one lease), then adds a member if fewer than
// the cap are left, in one script. A process refreshes the leases of its runs every third of a lease, and removes
// a run's member when it ends. Redis away, or slower than `waitMs`, gives `undefined`: the caller caps on its own.
import type { SharedSlots } from '../../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { errorMessage } from '../../core/util/error-message.js';
import type { RedisSettings } from './parse-cancellation.js';
import { toRedisTarget } from './to-redis-target.js';
import { closeRedisClient, createRedisClient, REDIS_NOW_MS, sendWithin } from './create-redis-client.js';

// KEYS[1]: the job's set; ARGV[1]: the cap, ARGV[2]: the member, ARGV[3]: the lease (ms). Returns 1 when taken.
const ACQUIRE = `${REDIS_NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
return 1`;

// KEYS[1]: the job's set; ARGV[1]: the lease (ms), ARGV[2..]: the members to keep. A member whose lease already ran
// out is not added back: its slot may be another run's now.
const REFRESH = `${REDIS_NOW_MS}
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1]))
return 0`;

/** Options of {@link createSharedSlots}. */
export interface SharedSlotsOptions {
  readonly settings: RedisSettings;
  readonly workerId: string;
  /** Names this process's runs in the sets (its instance id). */
  readonly holder: string;
  readonly logger: TechnicalLogger;
  /** The prefix of every key (default `Milvaion:JobScheduler:`). */
  readonly keyPrefix?: string | undefined;
  /** How long a slot outlives its process (default 15,000 ms); refreshed every third of it. */
  readonly leaseMs?: number | undefined;
  /** Longest wait for Redis's answer before the process caps on its own (default 1000 ms). */
  readonly waitMs?: number | undefined;
}

/** The shared slots, with their connection. */
export interface SharedSlotStore extends SharedSlots {
  /** Connects in the background; until it is ready every acquire answers `undefined`. */
  start(): void;
  close(): Promise<void>;
}

/** Creates the shared slots; throws at once when the settings cannot make a Redis address. */
export function createSharedSlots(options: SharedSlotsOptions): SharedSlotStore {
  const target = toRedisTarget(options.settings);
  if (target.isErr()) throw new Error(target.error);
  const client = createRedisClient(target.value);
  const leaseMs = options.leaseMs ?? 15_000;
  const waitMs = options.waitMs ?? 1000;
  const { logger } = options;
  // One hash slot for every key of a WorkerId, so the scripts also run on a Redis Cluster.
  const keyOf = (job: string) => `${options.keyPrefix ?? 'Milvaion:JobScheduler:'}slots:{${options.workerId}}:${job}`;
  // The members this process holds, per job.
  const held = new Map<string, Set<string>>();
  let sequence = 0;
  client.on('error', (error: unknown) => logger.debug(`Shared slots: Redis: ${errorMessage(error)}`));
  const ask = (args: string[]) => sendWithin(client, args, waitMs, (error) => logger.debug(`Shared slots: a command failed: ${errorMessage(error)}`));
  const refresh = setInterval(() => {
    for (const [job, members] of held) if (members.size > 0) void ask(['EVAL', REFRESH, '1', keyOf(job), String(leaseMs), ...members]);
  }, leaseMs / 3);
  refresh.unref();

  return {
    start() {
      client.connect().catch(() => undefined); // reconnects by itself
    },
    close() {
      clearInterval(refresh);
      return closeRedisClient(client);
    },
    async acquire(job, cap) {
      const member = `${options.holder}:${++sequence}`;
      const answer = await ask(['EVAL', ACQUIRE, '1', keyOf(job), String(cap), member, String(leaseMs)]);
      if (answer === undefined) {
        // A late answer may still have taken the slot: given back, so it is not held for a lease by nobody.
        void ask(['ZREM', keyOf(job), member]);
        return undefined;
      }
      if (Number(answer) !== 1) return false;
      let members = held.get(job);
      if (members === undefined) held.set(job, (members = new Set()));
      members.add(member);
      return {
        release() {
          if (!members.delete(member)) return;
          void ask(['ZREM', keyOf(job), member]);
        },
      };
    },
  };
}
