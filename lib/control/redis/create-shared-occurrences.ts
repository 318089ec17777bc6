// What every process of one WorkerId knows of its occurrences, kept in the Redis that cancellation already needs:
// which occurrences finished (so a redelivery that reaches another process after a crash is acked, not run
// again), and how many deliveries of one ended with no outcome (so a poison message stops). Finished ids go into
// one hash per hour, written in one HSET per turn, and are read only for a redelivered delivery. Redis away never
// blocks a job: every answer is then `undefined`, and the worker falls back to its own records. An attempt that
// runs long, or whose delivery was lost, is held under a key of its own (`running:<instance>` with a lease, then
// how it ended), so a redelivery in another process waits for it instead of running it a second time.
import type { Attempt, AttemptState, CrashCount, SharedOccurrences } from '../../core/vocabulary/ports.js';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import { errorMessage } from '../../core/util/error-message.js';
import type { RedisSettings } from './parse-cancellation.js';
import { toRedisTarget } from './to-redis-target.js';
import { closeRedisClient, createRedisClient } from './create-redis-client.js';

/** The records' bucket: finished ids of one hour share a hash, which expires whole. */
const BUCKET_MS = 3_600_000;

// KEYS[1]: the occurrence's delivery hash; ARGV[1]: its TTL (ms). Returns { crashes, counted }.
const NOTE_REDELIVERY = `
local released = redis.call('HGET', KEYS[1], 'released')
local crashes
local counted = 0
if released == '1' then
  redis.call('HDEL', KEYS[1], 'released')
  crashes = tonumber(redis.call('HGET', KEYS[1], 'crashes') or '0')
else
  crashes = redis.call('HINCRBY', KEYS[1], 'crashes', 1)
  counted = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return { crashes, counted }`;

// KEYS: the hourly hashes to look in; ARGV[1]: the occurrence id. Returns 1 when one holds it.
const IS_FINISHED = `
for _, key in ipairs(KEYS) do
  if redis.call('HEXISTS', key, ARGV[1]) == 1 then return 1 end
end
return 0`;

// KEYS[1]: an attempt key, KEYS[2]: its occurrence's delivery hash. Returns the attempt's state, or 'returned' when
// the occurrence was released (given back on purpose) and no process says more, or false.
const ATTEMPT = `
local state = redis.call('GET', KEYS[1])
if state then return state end
if redis.call('HGET', KEYS[2], 'released') == '1' then return 'returned' end
return false`;

// KEYS: attempt keys; ARGV[1]: the value, ARGV[2]: the lease (ms).
const HOLD = `
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return 0`;

/** Options of {@link createSharedOccurrences}. */
export interface SharedOccurrencesOptions {
  readonly settings: RedisSettings;
  readonly workerId: string;
  /** Who holds the attempts this process runs (its instance id), as a waiting process logs it. */
  readonly holder: string;
  /** How long a record is kept (the outbox's RecordRetentionDays). */
  readonly retentionMs: number;
  readonly logger: TechnicalLogger;
  /** The prefix of every key (Worker:Redis:KeyPrefix, default `Milvaion:JobScheduler:`). */
  readonly keyPrefix?: string | undefined;
  /**
   * Longest wait for Redis to take a finished record before the delivery is acked anyway, and for a connection
   * still opening (a process just started) before a redelivery is checked without it (default 1000 ms).
   */
  readonly waitMs?: number | undefined;
  readonly now?: () => number;
}

/** The shared records, with their connection. */
export interface SharedOccurrenceRecords extends SharedOccurrences {
  /** Connects in the background; the records answer `undefined` until it is ready. */
  start(): void;
  close(): Promise<void>;
}

/** A batch of finished ids waiting for one HSET, and the deliveries waiting on it. */
interface Batch {
  readonly fields: Record<string, string>;
  readonly done: (() => void)[];
}

/** Creates the records; throws at once when the settings cannot make a Redis address. */
export function createSharedOccurrences(options: SharedOccurrencesOptions): SharedOccurrenceRecords {
  const target = toRedisTarget(options.settings);
  if (target.isErr()) throw new Error(target.error);
  const client = createRedisClient(target.value);
  const { logger, retentionMs } = options;
  const now = options.now ?? Date.now;
  const waitMs = options.waitMs ?? 1000;
  // One hash slot for every key of a WorkerId, so the scripts also run on a Redis Cluster.
  const base = `${options.keyPrefix ?? 'Milvaion:JobScheduler:'}worker-records:{${options.workerId}}:`;
  const bucketKey = (bucket: number) => `${base}finished:${bucket}`;
  const deliveryKey = (occurrenceId: string) => `${base}delivery:${occurrenceId}`;
  const attemptKey = (a: Attempt) => `${base}attempt:${a.occurrenceId}:${a.retryCount}`;
  const batches = new Map<number, Batch>();
  let flushing: NodeJS.Immediate | undefined;
  // The buckets whose expiry this connection has set: a bucket's first HSET sets it, the others need only the HSET
  // (one command per turn instead of two, which is what a job pays at concurrency 1).
  const expiring = new Set<number>();
  let away = false;
  client.on('error', (error: unknown) => {
    if (away) return;
    away = true;
    // The cancellation listener on the same Redis says the outage once; this says what it means here.
    logger.debug(`Shared occurrence records: Redis away (${errorMessage(error)}); each process relies on its own records until it returns`);
  });
  client.on('ready', () => {
    if (away) logger.debug('Shared occurrence records: Redis is back');
    away = false;
    expiring.clear(); // another node, or one that lost its keys: each bucket's expiry is set again
  });
  const ready = () => client.isReady;
  /** Resolves once Redis is ready, or after `ms` (a redelivery at start must not miss a finish for a connection still opening). */
  const readyWithin = (ms: number) =>
    new Promise<void>((resolve) => {
      if (client.isReady) return resolve();
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      client.on('ready', done);
    });
  /** Runs a command; `undefined` when Redis is not ready or fails (never a rejection). */
  const ask = async <T>(command: () => Promise<T>): Promise<T | undefined> => {
    if (!ready()) return undefined;
    try {
      return await command();
    } catch (error) {
      logger.debug(`Shared occurrence records: a command failed: ${errorMessage(error)}`);
      return undefined;
    }
  };

  async function write(bucket: number, key: string, fields: Record<string, string>): Promise<unknown> {
    if (expiring.has(bucket)) return client.hSet(key, fields);
    expiring.add(bucket);
    try {
      return await Promise.all([client.hSet(key, fields), client.pExpire(key, retentionMs + BUCKET_MS)]);
    } catch (error) {
      expiring.delete(bucket);
      throw error;
    }
  }

  function flush(): void {
    flushing = undefined;
    for (const [bucket, { fields, done }] of batches) {
      batches.delete(bucket);
      const key = bucketKey(bucket);
      const finish = () => done.forEach((resolve) => resolve());
      const timer = setTimeout(finish, waitMs);
      void ask(() => write(bucket, key, fields)).finally(() => {
        clearTimeout(timer);
        finish();
      });
    }
  }

  return {
    start() {
      client.connect().catch(() => undefined); // reconnects by itself; 'error' says it once
    },
    close() {
      return closeRedisClient(client);
    },
    finish(occurrenceId) {
      if (!ready()) return Promise.resolve();
      const bucket = Math.floor(now() / BUCKET_MS);
      let batch = batches.get(bucket);
      if (batch === undefined) batches.set(bucket, (batch = { fields: {}, done: [] }));
      batch.fields[occurrenceId] = '1';
      flushing ??= setImmediate(flush);
      return new Promise<void>((resolve) => batch.done.push(resolve));
    },
    async isFinished(occurrenceId) {
      await readyWithin(waitMs);
      const last = Math.floor(now() / BUCKET_MS);
      const keys: string[] = [];
      for (let bucket = Math.floor((now() - retentionMs) / BUCKET_MS); bucket <= last; bucket++) keys.push(bucketKey(bucket));
      const found = await ask(() => client.sendCommand(['EVAL', IS_FINISHED, String(keys.length), ...keys, occurrenceId]));
      return found === undefined ? undefined : Number(found) === 1;
    },
    async noteRedelivery(occurrenceId) {
      const answer = await ask(() => client.sendCommand(['EVAL', NOTE_REDELIVERY, '1', deliveryKey(occurrenceId), String(retentionMs)]));
      if (!Array.isArray(answer)) return undefined;
      const count: CrashCount = { crashes: Number(answer[0]), counted: Number(answer[1]) === 1 };
      return count;
    },
    async release(occurrenceId) {
      const key = deliveryKey(occurrenceId);
      await ask(() => Promise.all([client.hSet(key, 'released', '1'), client.pExpire(key, retentionMs)]));
    },
    async hold(attempts, leaseMs) {
      if (attempts.length === 0) return;
      await ask(() => client.sendCommand(['EVAL', HOLD, String(attempts.length), ...attempts.map(attemptKey), `running:${options.holder}`, String(leaseMs)]));
    },
    async end(attempt, ending) {
      await ask(() => client.set(attemptKey(attempt), ending, { PX: retentionMs }));
    },
    async attempt(attempt) {
      const value = await ask(() => client.sendCommand(['EVAL', ATTEMPT, '2', attemptKey(attempt), deliveryKey(attempt.occurrenceId)]));
      if (value === undefined) return undefined;
      return toAttemptState(typeof value === 'string' ? value : null);
    },
  };
}

/** Reads an attempt key's value (`null` when there is none). */
function toAttemptState(value: string | null): AttemptState {
  if (value?.startsWith('running:') === true) return { kind: 'running', holder: value.slice('running:'.length) };
  if (value === 'settled' || value === 'returned') return { kind: value };
  return { kind: 'unknown' };
}
