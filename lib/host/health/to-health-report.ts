// toHealthReport(): maps the dependency state of every logical worker in the process to liveness,
// readiness, startup and ASP.NET-style checks. Pure: no I/O and no clock of its own (`now` is passed in).
//
// The rules:
// - Checks per logical worker: `Worker`, `RabbitMQ`, then `Outbox` and `Redis` when enabled. With several
//   workers each name gets a 1-based suffix: `RabbitMQ (worker 2)`.
// - Worker: Healthy while it runs; Unhealthy once it is stopping (it takes no new jobs).
// - RabbitMQ: Unhealthy when the consume or the publish connection is down. That makes the process not
//   ready, but it stays live: rabbitmq-client reconnects by itself, a restart would not help.
// - Outbox: Unhealthy when full (the worker has paused intake until RabbitMQ accepts the backlog, or until its
//   disk, full or failing, takes writes again; the folder is named by its key), Degraded while its disk is nearly
//   full, else Healthy. Disabled: no check at all (a dependency that is off cannot fail, and listing it is config).
// - Redis: Healthy when connected; Degraded in any other state (connecting, degraded, closed): jobs keep
//   running, only cancellation from the dashboard is paused, so the process stays ready and live.
//   Disabled: no check at all.
// - status is the worst check; ready = started and no check is Unhealthy (Degraded is ready, as in ASP.NET).
// - Heartbeat (when a limit is given, `Worker:HealthCheck:MaxHeartbeatSilenceSeconds`): Unhealthy once a worker
//   has been connected for longer than the limit without a registration or heartbeat getting through (the
//   scheduler then counts it as gone and its running occurrences as zombies). Healthy otherwise, and while
//   none is due (before start, stopping, publish connection down: the RabbitMQ check covers that).
// - live is false when every logical worker is stopping or stopped, when the event loop was blocked longer
//   than the threshold, or when a worker's heartbeats have been silent past the limit (alive but unheard: a
//   restart is what brings it back); an empty list (no worker created yet) is live but not ready.
// - RabbitMQ is Unhealthy too while the connections are up but the consumers are not subscribed.
// - RateLimit (a worker with a rate-limited job): Degraded while a job type has had jobs waiting for their turn
//   without a break for over SATURATED_MS (its limit, not the worker, sets its pace: a backlog grows if work keeps
//   coming), else Healthy. Waiting is what a limit is for, so it never makes the process unready.
// - started = startedAt is defined.
// - Descriptions and data hold only states, counts and ages: never hosts, URLs, paths, limits or error
//   texts (Redis's lastError and the outbox's reason can name a host or a configured limit).
import type { RedisHealth } from '../../control/redis/create-redis-cancellation.js';
import type { OutboxHealth } from '../../outbox/create-outbox.js';
import type { WorkerHealth } from '../../worker/create-amqp-worker.js';

/** ASP.NET's `HealthStatus` names. */
export type HealthStatus = 'Healthy' | 'Degraded' | 'Unhealthy';

/** One entry of a health report, as ASP.NET's `HealthReportEntry` shows it (minus duration and tags). */
export interface HealthCheck {
  readonly name: string;
  readonly status: HealthStatus;
  readonly description: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The process's health: what the probes (files and HTTP) answer. */
export interface HealthReport {
  readonly live: boolean;
  readonly ready: boolean;
  readonly started: boolean;
  readonly status: HealthStatus;
  readonly checks: readonly HealthCheck[];
}

const RANK: Readonly<Record<HealthStatus, number>> = { Healthy: 0, Degraded: 1, Unhealthy: 2 };

/** How long a job type's limit may keep jobs waiting without a break before the report calls it saturated. */
const SATURATED_MS = 60_000;

/** What liveness is measured against besides the workers' state. */
interface LivenessInput {
  /** The event loop's longest delay since the last report, and the delay above which the process is not live. */
  readonly loop?: { readonly maxDelayMs: number; readonly thresholdMs: number };
  /** Heartbeats silent this long while connected make the process not live; unset or 0: no such rule. */
  readonly maxHeartbeatSilenceMs?: number;
}

/** Maps the health of each logical worker (one entry per worker) to a report; `startedAt` is undefined until the host has started. */
export function toHealthReport(health: readonly WorkerHealth[], now: number, startedAt: number | undefined, liveness: LivenessInput = {}): HealthReport {
  const { loop } = liveness;
  const silenceLimitMs = liveness.maxHeartbeatSilenceMs ?? 0;
  const checks: HealthCheck[] = [];
  // A blocked event loop is the one way a Node process stops making progress while looking alive.
  const stalled = loop !== undefined && loop.maxDelayMs > loop.thresholdMs;
  if (loop !== undefined) {
    const data = { maxDelayMs: Math.round(loop.maxDelayMs), thresholdMs: loop.thresholdMs };
    checks.push(
      stalled
        ? { name: 'EventLoop', status: 'Unhealthy', description: `The event loop was blocked for ${data.maxDelayMs} ms (limit ${data.thresholdMs} ms)`, data }
        : { name: 'EventLoop', status: 'Healthy', description: `Longest delay ${data.maxDelayMs} ms`, data },
    );
  }
  health.forEach((worker, i) => {
    const suffix = health.length > 1 ? ` (worker ${i + 1})` : '';
    checks.push(workerCheck(worker, suffix), rabbitMqCheck(worker, suffix));
    if (silenceLimitMs > 0) checks.push(heartbeatCheck(worker, suffix, now, silenceLimitMs));
    if (worker.outbox !== 'disabled') checks.push(outboxCheck(worker.outbox, suffix));
    if (worker.redis !== 'disabled') checks.push(redisCheck(worker.redis, suffix, now));
    if (worker.rateLimits !== undefined) checks.push(rateLimitCheck(worker.rateLimits, suffix, now));
  });
  if (health.length === 0) {
    checks.push({ name: 'Worker', status: 'Unhealthy', description: 'No worker has been created yet', data: { workers: 0 } });
  }
  const status = checks.reduce<HealthStatus>((worst, c) => (RANK[c.status] > RANK[worst] ? c.status : worst), 'Healthy');
  const started = startedAt !== undefined;
  const unheard = silenceLimitMs > 0 && health.some((w) => silentMs(w, now) > silenceLimitMs);
  return {
    live: !stalled && !unheard && (health.length === 0 || health.some((w) => !w.stopping)),
    ready: started && status !== 'Unhealthy',
    started,
    status,
    checks,
  };
}

function workerCheck(worker: WorkerHealth, suffix: string): HealthCheck {
  const data = { runningJobs: worker.runningJobs, stopping: worker.stopping };
  return worker.stopping
    ? { name: `Worker${suffix}`, status: 'Unhealthy', description: `Stopping: takes no new jobs, ${worker.runningJobs} still running`, data }
    : { name: `Worker${suffix}`, status: 'Healthy', description: `Running ${worker.runningJobs} jobs`, data };
}

function rabbitMqCheck(worker: WorkerHealth, suffix: string): HealthCheck {
  const { consume, publish } = worker.rabbitmq;
  const data = { consume, publish, consuming: worker.consuming };
  const name = `RabbitMQ${suffix}`;
  if (consume && publish && (worker.consuming || worker.stopping || paused(worker))) return { name, status: 'Healthy', description: 'Consume and publish connections are up', data };
  if (consume && publish) return { name, status: 'Unhealthy', description: 'Connected, but the job consumers are not subscribed (yet)', data };
  const down = !consume && !publish ? 'The consume and publish connections are' : !consume ? 'The consume connection is' : 'The publish connection is';
  return { name, status: 'Unhealthy', description: `${down} down; the client reconnects by itself`, data };
}

/** How long a worker has been connected without a heartbeat getting through (0 while none is due). */
function silentMs(worker: WorkerHealth, now: number): number {
  const since = worker.stopping ? undefined : worker.heartbeat.silentSince;
  return since === undefined ? 0 : Math.max(0, now - since);
}

function heartbeatCheck(worker: WorkerHealth, suffix: string, now: number, limitMs: number): HealthCheck {
  const name = `Heartbeat${suffix}`;
  const due = !worker.stopping && worker.heartbeat.silentSince !== undefined;
  const data = { due, silentSeconds: seconds(silentMs(worker, now)) };
  if (!due) return { name, status: 'Healthy', description: 'No heartbeat due (not started, stopping, or the publish connection is down)', data };
  if (silentMs(worker, now) <= limitMs) return { name, status: 'Healthy', description: `Heartbeats get through: the last ${data.silentSeconds} s ago`, data };
  return {
    name,
    status: 'Unhealthy',
    description: `Connected, but no heartbeat has got through for ${data.silentSeconds} s (Worker:HealthCheck:MaxHeartbeatSilenceSeconds): the scheduler counts this worker as gone; not live, so that it is restarted`,
    data,
  };
}

// Consumers paused because the outbox is full are reported by the outbox check, not here.
function paused(worker: WorkerHealth): boolean {
  return worker.outbox !== 'disabled' && worker.outbox.full;
}

function outboxCheck(outbox: OutboxHealth, suffix: string): HealthCheck {
  const { disk } = outbox;
  const data = { pending: outbox.pending, pendingBytes: outbox.pendingBytes, oldestAgeSeconds: seconds(outbox.oldestAgeMs), full: outbox.full, disk: disk.state, diskRoomBytes: disk.roomBytes ?? null };
  const name = `Outbox${suffix}`;
  const room = disk.roomBytes === undefined ? '' : `, ${megabytes(disk.roomBytes)} MB left`;
  if (disk.state === 'failing' || disk.state === 'full') {
    const what = disk.state === 'failing' ? 'cannot write to its folder' : 'has no room left in its folder';
    return { name, status: 'Unhealthy', description: `The outbox ${what} (OfflineResilience:LocalStoragePath${room}): the worker takes no new jobs until it can write again, and keeps sending the ${outbox.pending} entries it holds; nothing is dropped`, data };
  }
  if (!outbox.full && disk.state === 'low') return { name, status: 'Degraded', description: `${outbox.pending} entries pending; the disk of its folder is nearly full (OfflineResilience:LocalStoragePath${room})`, data };
  if (!outbox.full) return { name, status: 'Healthy', description: `${outbox.pending} entries pending`, data };
  return {
    name,
    status: 'Unhealthy',
    description: `Full (${outbox.pending} entries pending, the oldest ${data.oldestAgeSeconds} s old): the worker takes no new jobs until RabbitMQ accepts the backlog; nothing is dropped`,
    data,
  };
}

function redisCheck(redis: RedisHealth, suffix: string, now: number): HealthCheck {
  const data = {
    state: redis.state,
    stateAgeSeconds: seconds(now - redis.since),
    cancellationsReceived: redis.cancellationsReceived,
    ignoredMessages: redis.ignoredMessages,
  };
  const name = `Redis${suffix}`;
  if (redis.state === 'connected') return { name, status: 'Healthy', description: 'Listening for cancellations', data };
  return { name, status: 'Degraded', description: `Redis is ${redis.state}: jobs keep running, cancellation from the dashboard is paused`, data };
}

function rateLimitCheck(limits: NonNullable<WorkerHealth['rateLimits']>, suffix: string, now: number): HealthCheck {
  const name = `RateLimit${suffix}`;
  const data = Object.fromEntries(limits.map((l) => [l.job, { waiting: l.waiting, busySeconds: seconds(now - l.busySince) }]));
  const saturated = limits.filter((l) => now - l.busySince > SATURATED_MS).map((l) => l.job);
  if (saturated.length === 0) {
    const waiting = limits.reduce((sum, l) => sum + l.waiting, 0);
    return { name, status: 'Healthy', description: `${waiting} jobs waiting for their turn`, data };
  }
  return {
    name,
    status: 'Degraded',
    description: `${saturated.join(', ')}: jobs have waited for their rate limit without a break for over ${SATURATED_MS / 1000} s; the limit sets the pace, and work that keeps coming piles up in the queue`,
    data,
  };
}

/** Bytes to megabytes with one decimal. */
function megabytes(bytes: number): number {
  return Math.round(bytes / 104_857.6) / 10;
}

/** Milliseconds to seconds with one decimal, never negative (clocks can step back). */
function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 100) / 10);
}
