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
  const jobsTotal = family('milvaion_worker_jobs_total', 'Executions that left the pipeline, by job and outcome.', 'counter');
  const duration = { name: 'milvaion_worker_job_duration_seconds', help: 'How long executions took, in-process retries included.', type: 'histogram' };
  const durationSeries = new Map<string, HistogramSeries>();
  const running = family('milvaion_worker_jobs_running', 'Executions in progress.', 'gauge');
  const outboxPending = family('milvaion_worker_outbox_pending', 'Outbox entries not yet confirmed by RabbitMQ (all workers).', 'gauge');
  const outboxAge = family('milvaion_worker_outbox_oldest_age_seconds', 'Age of the oldest pending outbox entry.', 'gauge');
  const connected = family('milvaion_worker_rabbitmq_connected', '1 when that RabbitMQ connection is up in every worker, else 0.', 'gauge');
  const redisState = family('milvaion_worker_redis_state', 'Workers whose Redis cancellation listener is in that state (1 for the current state with one worker).', 'gauge');
  const up = family('milvaion_worker_up', '1 while the process can do its job (the liveness probe), else 0.', 'gauge');
  const scalars = [running, outboxPending, outboxAge, connected, redisState, up];
  const runningSample = sample(running);
  sample(up).value = 1;

  // Per job, every series it can touch, created once: recording a job is a map lookup and a few additions.
  const outcomeIndex = Object.fromEntries(OUTCOME_LABELS.map((o, i) => [o, i])) as Record<OutcomeLabel, number>;
  const perJob = new Map<string, { outcomes: Sample[]; duration: HistogramSeries }>();
  const seriesOf = (job: string) => {
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
      durationSeries.set(histogram.labels, histogram);
      series = { outcomes: OUTCOME_LABELS.map((o) => sample(jobsTotal, [jobPair, ['outcome', o]])), duration: histogram };
      perJob.set(job, series);
    }
    return series;
  };

  const registry: Metrics = {
    jobStarted() {
      runningSample.value++;
    },
    jobAborted() {
      runningSample.value--;
    },
    jobFinished(job, outcome, seconds) {
      runningSample.value--;
      const series = seriesOf(job);
      series.outcomes[outcomeIndex[outcome]]!.value++;
      const h = series.duration;
      let i = 0;
      while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
      h.counts[i]!++;
      h.sum += Math.max(0, seconds);
      h.count++;
    },
    middleware: () => metrics({ registry }),
    observeHealth(health) {
      sample(up).value = toHealthReport(health, Date.now(), undefined).live ? 1 : 0;
      const outboxes = health.flatMap((w) => (w.outbox === 'disabled' ? [] : [w.outbox]));
      // A disabled outbox has no samples at all rather than a misleading 0.
      outboxPending.samples.clear();
      outboxAge.samples.clear();
      if (outboxes.length > 0) {
        sample(outboxPending).value = outboxes.reduce((n, o) => n + o.pending, 0);
        sample(outboxAge).value = Math.max(...outboxes.map((o) => o.oldestAgeMs)) / 1000;
      }
      connected.samples.clear();
      if (health.length > 0) {
        sample(connected, [['connection', 'consume']]).value = health.every((w) => w.rabbitmq.consume) ? 1 : 0;
        sample(connected, [['connection', 'publish']]).value = health.every((w) => w.rabbitmq.publish) ? 1 : 0;
      }
      for (const state of REDIS_STATES) {
        sample(redisState, [['state', state]]).value = health.filter((w) => (w.redis === 'disabled' ? 'disabled' : w.redis.state) === state).length;
      }
    },
    render() {
      const out: string[] = [];
      header(out, jobsTotal);
      for (const s of jobsTotal.samples.values()) out.push(`${jobsTotal.name}${s.labels} ${formatValue(s.value)}`);
      header(out, duration);
      for (const h of durationSeries.values()) {
        let cumulative = 0;
        h.counts.forEach((count, i) => {
          cumulative += count;
          out.push(`${duration.name}_bucket${h.bucketLabels[i]} ${cumulative}`);
        });
        out.push(`${duration.name}_sum${h.labels} ${formatValue(h.sum)}`, `${duration.name}_count${h.labels} ${h.count}`);
      }
      for (const f of scalars) {
        header(out, f);
        for (const s of f.samples.values()) out.push(`${f.name}${s.labels} ${formatValue(s.value)}`);
      }
      return `${out.join('\n')}\n`;
    },
  };
  return registry;
}
