// createMetrics(): the worker's Prometheus metrics: a tiny hand-written registry (counters, gauges, one
// fixed-bucket histogram, with labels) fed by the metrics() middleware and by the workers' health, and
// rendered in the text exposition format 0.0.4. No dependency.
import type { Middleware } from '../../core/types.js';
import { metrics, OUTCOME_LABELS, type JobMetricsRecorder, type OutcomeLabel } from '../../middleware/metrics.js';
import type { RedisHealth } from '../../control/redis/create-redis-cancellation.js';
import type { WorkerHealth } from '../../worker/create-amqp-worker.js';
import { toHealthReport } from './to-health-report.js';

/** The upper bounds (seconds) of `milvaion_worker_job_duration_seconds`; `+Inf` is implied. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** The process's metrics. */
export interface Metrics extends JobMetricsRecorder {
  /** A metrics() middleware recording into this registry. */
  middleware(): Middleware;
  /** Sets the dependency gauges from the health of every logical worker (call it before each render). */
  observeHealth(health: readonly WorkerHealth[]): void;
  /** The Prometheus text exposition (`text/plain; version=0.0.4`). */
  render(): string;
}

const REDIS_STATES = ['connected', 'connecting', 'degraded', 'closed', 'disabled'] as const satisfies readonly (RedisHealth['state'] | 'disabled')[];

/** One time series: its rendered label set (`{a="x"}` or '') and its value. */
interface Sample {
  readonly labels: string;
  value: number;
}

/** One histogram series: per-bucket counts (not cumulative; summed when rendered), sum and count. */
interface HistogramSeries {
  readonly bucketLabels: readonly string[];
  readonly labels: string;
  readonly counts: number[];
  sum: number;
  count: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly samples: Map<string, Sample>;
}

/** Escapes a label value: backslash, double quote and line feed, as the exposition format requires. */
function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Renders a label set; the pairs' names are fixed identifiers, only values need escaping. */
function labelSet(pairs: readonly (readonly [string, string])[]): string {
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** Formats a sample value as Prometheus parses it (Go float syntax). */
function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function family(name: string, help: string, type: Family['type']): Family {
  return { name, help, type, samples: new Map() };
}

/** The sample of `f` for a label set, created at 0 on first use. */
function sample(f: Family, pairs: readonly (readonly [string, string])[] = []): Sample {
  const labels = labelSet(pairs);
  let s = f.samples.get(labels);
  if (s === undefined) {
    s = { labels, value: 0 };
    f.samples.set(labels, s);
  }
  return s;
}

function header(out: string[], f: { name: string; help: string; type: string }): void {
  out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
}

/** Creates an empty metrics registry with the worker's metric families. */
export function createMetrics(): Metrics {
  const families = createFamilies();
  const runningSample = sample(families.running);
  sample(families.up).value = 1;
  // Per job, every series it can touch, created once: recording a job is a map lookup and a few additions.
  const perJob = new Map<string, JobSeries>();

  const registry: Metrics = {
    jobStarted() {
      runningSample.value++;
    },
    jobAborted() {
      runningSample.value--;
    },
    jobFinished(job, outcome, seconds) {
      runningSample.value--;
      recordFinished(seriesOf(families, perJob, job), outcome, seconds);
    },
    middleware: () => metrics({ registry }),
    observeHealth(health) {
      setHealthGauges(families, health);
    },
    render() {
      return render(families);
    },
  };
  return registry;
}

const DURATION = { name: 'milvaion_worker_job_duration_seconds', help: 'How long executions took, in-process retries included.', type: 'histogram' } as const;
const OUTCOME_INDEX = Object.fromEntries(OUTCOME_LABELS.map((o, i) => [o, i])) as Record<OutcomeLabel, number>;

/** The registry's state: every family, and the gauges in the order they are rendered after the histogram. */
interface Families {
  readonly jobsTotal: Family;
  readonly durationSeries: Map<string, HistogramSeries>;
  readonly running: Family;
  readonly outboxPending: Family;
  readonly outboxAge: Family;
  readonly connected: Family;
  readonly redisState: Family;
  readonly up: Family;
  readonly scalars: readonly Family[];
}

/** The series one job writes to: a jobs_total sample per outcome (in OUTCOME_LABELS order) and its histogram. */
interface JobSeries {
  readonly outcomes: Sample[];
  readonly duration: HistogramSeries;
}

function createFamilies(): Families {
  const jobsTotal = family('milvaion_worker_jobs_total', 'Executions that left the pipeline, by job and outcome.', 'counter');
  const running = family('milvaion_worker_jobs_running', 'Executions in progress.', 'gauge');
  const outboxPending = family('milvaion_worker_outbox_pending', 'Outbox entries not yet confirmed by RabbitMQ (all workers).', 'gauge');
  const outboxAge = family('milvaion_worker_outbox_oldest_age_seconds', 'Age of the oldest pending outbox entry.', 'gauge');
  const connected = family('milvaion_worker_rabbitmq_connected', '1 when that RabbitMQ connection is up in every worker, else 0.', 'gauge');
  const redisState = family('milvaion_worker_redis_state', 'Workers whose Redis cancellation listener is in that state (1 for the current state with one worker).', 'gauge');
  const up = family('milvaion_worker_up', '1 while the process can do its job (the liveness probe), else 0.', 'gauge');
  const scalars = [running, outboxPending, outboxAge, connected, redisState, up];
  return { jobsTotal, durationSeries: new Map(), running, outboxPending, outboxAge, connected, redisState, up, scalars };
}

/** The series of `job`, created (and registered for rendering) on its first execution. */
function seriesOf(families: Families, perJob: Map<string, JobSeries>, job: string): JobSeries {
  let series = perJob.get(job);
  if (series === undefined) {
    const jobPair = ['job', job] as const;
    const histogram: HistogramSeries = {
      bucketLabels: [...DURATION_BUCKETS.map(String), '+Inf'].map((le) => labelSet([jobPair, ['le', le]])),
      labels: labelSet([jobPair]),
      counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
      sum: 0,
      count: 0,
    };
    families.durationSeries.set(histogram.labels, histogram);
    series = { outcomes: OUTCOME_LABELS.map((o) => sample(families.jobsTotal, [jobPair, ['outcome', o]])), duration: histogram };
    perJob.set(job, series);
  }
  return series;
}

function recordFinished(series: JobSeries, outcome: OutcomeLabel, seconds: number): void {
  series.outcomes[OUTCOME_INDEX[outcome]]!.value++;
  const h = series.duration;
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  h.counts[i]!++;
  h.sum += Math.max(0, seconds);
  h.count++;
}

function setHealthGauges(f: Families, health: readonly WorkerHealth[]): void {
  sample(f.up).value = toHealthReport(health, Date.now(), undefined).live ? 1 : 0;
  const outboxes = health.flatMap((w) => (w.outbox === 'disabled' ? [] : [w.outbox]));
  // A disabled outbox has no samples at all rather than a misleading 0.
  f.outboxPending.samples.clear();
  f.outboxAge.samples.clear();
  if (outboxes.length > 0) {
    sample(f.outboxPending).value = outboxes.reduce((n, o) => n + o.pending, 0);
    sample(f.outboxAge).value = Math.max(...outboxes.map((o) => o.oldestAgeMs)) / 1000;
  }
  f.connected.samples.clear();
  if (health.length > 0) {
    sample(f.connected, [['connection', 'consume']]).value = health.every((w) => w.rabbitmq.consume) ? 1 : 0;
    sample(f.connected, [['connection', 'publish']]).value = health.every((w) => w.rabbitmq.publish) ? 1 : 0;
  }
  for (const state of REDIS_STATES) {
    sample(f.redisState, [['state', state]]).value = health.filter((w) => (w.redis === 'disabled' ? 'disabled' : w.redis.state) === state).length;
  }
}

function render(f: Families): string {
  const out: string[] = [];
  header(out, f.jobsTotal);
  for (const s of f.jobsTotal.samples.values()) out.push(`${f.jobsTotal.name}${s.labels} ${formatValue(s.value)}`);
  header(out, DURATION);
  for (const h of f.durationSeries.values()) {
    let cumulative = 0;
    h.counts.forEach((count, i) => {
      cumulative += count;
      out.push(`${DURATION.name}_bucket${h.bucketLabels[i]} ${cumulative}`);
    });
    out.push(`${DURATION.name}_sum${h.labels} ${formatValue(h.sum)}`, `${DURATION.name}_count${h.labels} ${h.count}`);
  }
  for (const gauge of f.scalars) {
    header(out, gauge);
    for (const s of gauge.samples.values()) out.push(`${gauge.name}${s.labels} ${formatValue(s.value)}`);
  }
  return `${out.join('\n')}\n`;
}
