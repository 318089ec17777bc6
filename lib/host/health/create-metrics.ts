// createMetrics(): the worker's Prometheus metrics on prom-client. Each call has its own Registry (never the
// global one: several hosts may live in one process) with Node's default process metrics and the worker's
// families: jobs (fed by the metrics() middleware), health (observeHealth()), dead letters, scheduled retries,
// outbox confirms and rate-limit waits (the workers' telemetry), and the build info.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkerTelemetry } from '../../core/vocabulary/ports.js';
import type { Middleware } from '../../core/vocabulary/types.js';
import { OUTCOME_LABELS, type OutcomeLabel } from '../../core/engine/verdict.js';
import { metrics, type JobMetricsRecorder } from '../../middleware/metrics.js';
import type { RedisHealth } from '../../control/redis/create-redis-cancellation.js';
import type { WorkerHealth } from '../../worker/create-amqp-worker.js';
import { packageVersion } from '../../process/package-version.js';
import { toHealthReport } from './to-health-report.js';

/** The upper bounds (seconds) of `milvaion_worker_job_duration_seconds`; `+Inf` is implied. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
/** The upper bounds (seconds) of `milvaion_worker_outbox_confirm_seconds`; `+Inf` is implied. */
export const CONFIRM_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** The process's metrics: a job recorder for metrics(), and the telemetry every logical worker reports to. */
export interface Metrics extends JobMetricsRecorder, Required<WorkerTelemetry> {
  /** A metrics() middleware recording into this registry. */
  middleware(): Middleware;
  /** Sets the dependency gauges from the health of every logical worker (call it before each render). */
  observeHealth(health: readonly WorkerHealth[]): void;
  /** The Content-Type of {@link Metrics.render}'s text (`text/plain; version=0.0.4; charset=utf-8`). */
  readonly contentType: string;
  /** The Prometheus text exposition of every family, the default process metrics included. */
  render(): Promise<string>;
  /** The prom-client registry behind it, where an application may register metrics of its own. */
  readonly registry: Registry;
}

const REDIS_STATES = ['connected', 'connecting', 'degraded', 'closed', 'disabled'] as const satisfies readonly (RedisHealth['state'] | 'disabled')[];

/** What the hot path writes to: plain numbers, handed to prom-client when a scrape collects them. */
interface JobState {
  running: number;
  readonly perJob: Map<string, JobSeries>;
}

/** The series one job writes to, bound once: outcome counts not yet collected, their jobs_total children (in OUTCOME_LABELS order), its histogram. */
interface JobSeries {
  readonly pending: number[];
  readonly outcomes: readonly { inc(value?: number): void }[];
  readonly duration: { observe(value: number): void };
}

/** The worker's families, registered (and so rendered) in this order, before the default metrics. */
function createFamilies(registry: Registry, state: JobState) {
  const registers = [registry];
  const families = {
    jobsTotal: new Counter({
      name: 'milvaion_worker_jobs_total',
      help: 'Executions that left the pipeline, by job and outcome.',
      labelNames: ['job', 'outcome'] as const,
      registers,
      collect: () => collectOutcomes(state.perJob),
    }),
    duration: new Histogram({ name: 'milvaion_worker_job_duration_seconds', help: 'How long executions took, in-process retries included.', labelNames: ['job'] as const, buckets: [...DURATION_BUCKETS], registers }),
    running: new Gauge({
      name: 'milvaion_worker_jobs_running',
      help: 'Executions in progress.',
      registers,
      collect() {
        this.set(state.running);
      },
    }),
    outboxPending: new Gauge({ name: 'milvaion_worker_outbox_pending', help: 'Outbox entries not yet confirmed by RabbitMQ (all workers).', registers }),
    outboxAge: new Gauge({ name: 'milvaion_worker_outbox_oldest_age_seconds', help: 'Age of the oldest pending outbox entry.', registers }),
    connected: new Gauge({ name: 'milvaion_worker_rabbitmq_connected', help: '1 when that RabbitMQ connection is up in every worker, else 0.', labelNames: ['connection'] as const, registers }),
    redisState: new Gauge({ name: 'milvaion_worker_redis_state', help: 'Workers whose Redis cancellation listener is in that state (1 for the current state with one worker).', labelNames: ['state'] as const, registers }),
    up: new Gauge({ name: 'milvaion_worker_up', help: '1 while the process can do its job (the liveness probe), else 0.', registers }),
    buildInfo: new Gauge({ name: 'milvaion_worker_build_info', help: 'Always 1; the labels say which milvaion-worker and Node.js versions run.', labelNames: ['version', 'node'] as const, registers }),
    deadLetters: new Counter({ name: 'milvaion_worker_dead_letters_total', help: 'Deliveries sent to the dead-letter exchange, by job and reason code.', labelNames: ['job', 'reason'] as const, registers }),
    retries: new Counter({ name: 'milvaion_worker_retries_scheduled_total', help: 'Retries published to a delay queue and confirmed, by job.', labelNames: ['job'] as const, registers }),
    outboxPublished: new Counter({ name: 'milvaion_worker_outbox_published_total', help: 'Outbox entries the relay published and RabbitMQ confirmed.', registers }),
    outboxConfirm: new Histogram({ name: 'milvaion_worker_outbox_confirm_seconds', help: 'Time from a relay publish to its broker confirm.', buckets: [...CONFIRM_BUCKETS], registers }),
    limitWaiting: new Gauge({ name: 'milvaion_worker_rate_limit_waiting', help: 'Jobs waiting for their turn under a rate limit now, by job.', labelNames: ['job'] as const, registers }),
    limitWait: new Histogram({ name: 'milvaion_worker_rate_limit_wait_seconds', help: 'How long jobs that waited for a rate limit waited, by job.', labelNames: ['job'] as const, buckets: [...DURATION_BUCKETS], registers }),
  };
  // No sample until a worker reports an outbox: a disabled outbox shows no misleading 0.
  families.outboxPending.remove();
  families.outboxAge.remove();
  families.up.set(1);
  families.buildInfo.set({ version: packageVersion(), node: process.version }, 1);
  return families;
}

type Families = ReturnType<typeof createFamilies>;

const OUTCOME_INDEX = Object.fromEntries(OUTCOME_LABELS.map((o, i) => [o, i])) as Record<OutcomeLabel, number>;

/** Creates a registry with the worker's metric families and the default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  // Per job, every series it can touch, bound once: recording a job is a map lookup, two additions and one
  // histogram observation; the counts reach prom-client when a scrape collects them.
  const state: JobState = { running: 0, perJob: new Map() };
  const f = createFamilies(registry, state);
  collectDefaultMetrics({ register: registry });

  const recorder: Metrics = {
    jobStarted() {
      state.running++;
    },
    jobAborted() {
      state.running--;
    },
    jobFinished(job, outcome, seconds) {
      state.running--;
      const series = state.perJob.get(job) ?? bindJob(f, state.perJob, job);
      series.pending[OUTCOME_INDEX[outcome]]!++;
      // prom-client refuses a value that is not finite; a clock going backwards counts as 0.
      series.duration.observe(Number.isFinite(seconds) && seconds > 0 ? seconds : 0);
    },
    deadLettered(job, reason) {
      f.deadLetters.inc({ job, reason });
    },
    retryScheduled(job) {
      f.retries.inc({ job });
    },
    outboxConfirmed(confirmSeconds) {
      f.outboxPublished.inc();
      f.outboxConfirm.observe(Number.isFinite(confirmSeconds) && confirmSeconds > 0 ? confirmSeconds : 0);
    },
    limitWaiting(job, delta) {
      f.limitWaiting.inc({ job }, delta);
    },
    limitWaited(job, seconds) {
      f.limitWait.observe({ job }, Number.isFinite(seconds) && seconds > 0 ? seconds : 0);
    },
    middleware: () => metrics({ registry: recorder }),
    observeHealth(health) {
      setHealthGauges(f, health);
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
    registry,
  };
  return recorder;
}

/** Binds the series of `job` on its first execution, all eight outcomes created at 0. */
function bindJob(f: Families, perJob: Map<string, JobSeries>, job: string): JobSeries {
  const outcomes = OUTCOME_LABELS.map((outcome) => {
    const child = f.jobsTotal.labels({ job, outcome });
    child.inc(0);
    return child;
  });
  const series: JobSeries = { pending: outcomes.map(() => 0), outcomes, duration: f.duration.labels({ job }) };
  perJob.set(job, series);
  return series;
}

/** Adds the outcomes counted since the last scrape to jobs_total. */
function collectOutcomes(perJob: ReadonlyMap<string, JobSeries>): void {
  for (const series of perJob.values()) {
    series.pending.forEach((count, i) => {
      if (count === 0) return;
      series.outcomes[i]!.inc(count);
      series.pending[i] = 0;
    });
  }
}

function setHealthGauges(f: Families, health: readonly WorkerHealth[]): void {
  f.up.set(toHealthReport(health, Date.now(), undefined).live ? 1 : 0);
  const outboxes = health.flatMap((w) => (w.outbox === 'disabled' ? [] : [w.outbox]));
  if (outboxes.length > 0) {
    f.outboxPending.set(outboxes.reduce((n, o) => n + o.pending, 0));
    f.outboxAge.set(Math.max(...outboxes.map((o) => o.oldestAgeMs)) / 1000);
  } else {
    f.outboxPending.remove();
    f.outboxAge.remove();
  }
  f.connected.reset();
  if (health.length > 0) {
    f.connected.set({ connection: 'consume' }, health.every((w) => w.rabbitmq.consume) ? 1 : 0);
    f.connected.set({ connection: 'publish' }, health.every((w) => w.rabbitmq.publish) ? 1 : 0);
  }
  for (const state of REDIS_STATES) {
    f.redisState.set({ state }, health.filter((w) => (w.redis === 'disabled' ? 'disabled' : w.redis.state) === state).length);
  }
}
