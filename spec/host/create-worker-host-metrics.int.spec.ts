// The host's /metrics against the real broker, scraped over HTTP and parsed strictly: dead letters counted with
// their reason code, retries scheduled through delay queues, and outbox entries the broker confirmed, with the
// default process metrics and the build info beside them.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob, JobStatus, PermanentJobError } from '../../lib/index.ts';
import { MilvaionNames } from '../../lib/amqp.ts';
import { useWorkerHost } from '../support/host-harness.ts';
import { parsePrometheusText, type ParsedExposition } from '../support/parse-prometheus-text.ts';
import { needs } from '../support/services.ts';

const WORKER_ID = 'metrics-worker';
const attempts = new Map<string, number>();

const jobs = [
  defineJob({ name: 'EchoJob', data: v.object({ text: v.string() }), run: (d) => d.text }),
  defineJob({
    name: 'AlwaysFailsJob',
    maxRetries: 2,
    baseRetryDelaySeconds: 0.1,
    run: (_d, ctx) => {
      attempts.set(ctx.occurrence.id, (attempts.get(ctx.occurrence.id) ?? 0) + 1);
      throw new Error('always');
    },
  }),
  defineJob({
    name: 'PermanentJob',
    run: () => {
      throw new PermanentJobError('cannot work');
    },
  }),
];

describe("the host's /metrics against the real broker", { timeout: 120_000, ...needs('rabbitmq') }, () => {
  const h = useWorkerHost('spec-host-metrics', {
    jobs,
    overrides: ({ dir, port }) => ({
      Worker: {
        WorkerId: WORKER_ID,
        OfflineResilience: { Enabled: true, LocalStoragePath: path.join(dir, 'outbox') },
        HealthCheck: { Enabled: true, HttpHost: '127.0.0.1', HttpPort: port },
      },
    }),
  });

  /** GET /metrics over HTTP, checked for its content type and parsed strictly. */
  const scrape = async (): Promise<ParsedExposition> => {
    const res = await fetch(`http://127.0.0.1:${h.port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), h.host.metrics.contentType);
    return parsePrometheusText(await res.text());
  };
  /** Scrapes until `check` holds (the counters move once the broker confirmed, a moment after the scheduler saw it). */
  const scrapeUntil = async (check: (x: ParsedExposition) => boolean, what: string): Promise<ParsedExposition> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const x = await scrape();
      if (check(x)) return x;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const deadLetters = (x: ParsedExposition, job: string, reason: string) => x.value('milvaion_worker_dead_letters_total', { job, reason }) ?? 0;

  it('serves the default process metrics and the build info beside the worker families', async () => {
    const x = await scrape();
    assert.ok(x.value('process_resident_memory_bytes')! > 0);
    assert.equal(x.families.get('nodejs_eventloop_lag_seconds')?.type, 'gauge');
    const [info] = x.samples('milvaion_worker_build_info');
    assert.equal(info?.labels['node'], process.version);
    assert.match(info?.labels['version'] ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(x.value('milvaion_worker_up'), 1);
    assert.equal(x.value('milvaion_worker_rabbitmq_connected', { connection: 'consume' }), 1);
  });

  it('counts a malformed message in dead_letters_total{reason="malformed"} under the job of its queue', async () => {
    const marker = `garbage-${Date.now()}`;
    await h.scheduler.publishRaw({ exchange: MilvaionNames.jobsExchange, routingKey: `${WORKER_ID}.echo.job`, body: `{"not json ${marker}` });
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters().some((m) => m.text.includes(marker)), { what: 'the dead-lettered garbage' });
    const x = await scrapeUntil((m) => deadLetters(m, 'EchoJob', 'malformed') === 1, 'the malformed dead letter to be counted');
    assert.ok(!(x.samples('milvaion_worker_dead_letters_total').some((s) => Object.values(s.labels).some((l) => l.includes(marker)))), 'no message text in a label');
  });

  it('counts invalid data and a permanent failure under their own reasons', async () => {
    const invalid = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: WORKER_ID, data: { text: 42 } });
    const permanent = await h.scheduler.dispatch({ jobName: 'PermanentJob', workerId: WORKER_ID });
    for (const { occurrenceId } of [invalid, permanent]) assert.equal((await h.scheduler.waitForFinalStatus(occurrenceId)).body!.Status, JobStatus.Failed);
    await scrapeUntil((m) => deadLetters(m, 'EchoJob', 'invalid-data') === 1 && deadLetters(m, 'PermanentJob', 'permanent-failure') === 1, 'both dead letters to be counted');
  });

  it('counts each retry a failing job schedules, then its dead letter with reason retries-exhausted', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'AlwaysFailsJob', workerId: WORKER_ID });
    assert.equal((await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 })).body!.Status, JobStatus.Failed);
    const x = await scrapeUntil((m) => deadLetters(m, 'AlwaysFailsJob', 'retries-exhausted') === 1, 'the exhausted job to be counted');
    assert.equal(attempts.get(occurrenceId), 3);
    assert.equal(x.value('milvaion_worker_retries_scheduled_total', { job: 'AlwaysFailsJob' }), 2);
    assert.equal(x.value('milvaion_worker_jobs_total', { job: 'AlwaysFailsJob', outcome: 'retry_scheduled' }), 2);
  });

  it('grows outbox_published_total and outbox_confirm_seconds_count as completed jobs go through the outbox', async () => {
    const before = await scrape();
    const published = (x: ParsedExposition) => x.value('milvaion_worker_outbox_published_total') ?? 0;
    const dispatched = await Promise.all([1, 2, 3].map((n) => h.scheduler.dispatch({ jobName: 'EchoJob', workerId: WORKER_ID, data: { text: `hi ${n}` } })));
    for (const { occurrenceId } of dispatched) assert.equal((await h.scheduler.waitForFinalStatus(occurrenceId)).body!.Status, JobStatus.Completed);
    // At least the three final statuses went through the relay (a Running status may be coalesced away).
    const x = await scrapeUntil((m) => published(m) >= published(before) + 3, 'three more confirmed outbox entries');
    assert.equal(x.value('milvaion_worker_outbox_confirm_seconds_count'), published(x), 'one confirm time per confirmed entry');
    assert.ok(x.value('milvaion_worker_outbox_confirm_seconds_sum')! > 0);
    assert.equal(x.value('milvaion_worker_jobs_total', { job: 'EchoJob', outcome: 'completed' }), 3);
  });
});
