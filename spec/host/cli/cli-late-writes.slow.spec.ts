// The CLI stopped while a job that ignored its abort (timeout, cancel) is still running and will log: the worker
// waits for it within the grace period, keeps its late line, and exits 0. Before the fix the late write hit the
// closed LMDB store and the process died with exit 1 ("The environment is already closed").
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { JobStatus } from '../../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../../support/amqp-harness.ts';
import { needs } from '../../support/services.ts';
import { startCli } from '../../support/start-cli.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'cli-late-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CHANNEL = `spec:${process.pid}:late:cancellation_channel`;

// A job that ignores its signal: once aborted it goes on for 1.5 s, then writes a user log line and returns.
const JOBS = path.join(dir, 'late-jobs.ts');
writeFileSync(
  JOBS,
  `import { defineJob } from ${JSON.stringify(path.join(ROOT, 'lib/index.ts'))};
export const lateLog = defineJob({
  name: 'LateLogJob',
  async run(_data, ctx) {
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    ctx.log.info('late line after the abort');
    return 'ignored';
  },
});
`,
);


describe('CLI stop while a job that ignored its abort still runs', { timeout: 120_000, ...needs('rabbitmq', 'redis') }, () => {
  const vhost = `spec-late-${process.pid}`;
  let scheduler: SchedulerClient;
  let redis: ReturnType<typeof createClient>;
  before(async () => {
    createVhost(vhost);
    scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
    redis = createClient({ socket: { host: '127.0.0.1', port: 6379 } });
    redis.on('error', () => undefined);
    await redis.connect();
  });
  after(async () => {
    await redis.quit();
    await scheduler.close();
    deleteVhost(vhost);
  });

  /** Runs the CLI, dispatches LateLogJob, aborts it by `abort`, sends SIGTERM while it still runs; returns the run. */
  async function stopDuringLateJob(name: string, timeoutSeconds: number, abort: (occurrenceId: string) => Promise<unknown>) {
    const workerId = `cli-late-${name}`;
    const config = path.join(dir, `${name}.json`);
    writeFileSync(config, JSON.stringify({
      Worker: {
        WorkerId: workerId,
        ShutdownTimeoutSeconds: 10,
        RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost },
        Redis: { ConnectionString: '127.0.0.1:6379', CancellationChannel: CHANNEL },
        OfflineResilience: { LocalStoragePath: path.join(dir, `outbox-${name}`) },
      },
      JobConsumers: { LateLogJob: { ExecutionTimeoutSeconds: timeoutSeconds, MaxRetries: 0 } },
    }));
    const cli = startCli(config, JOBS, dir);
    await scheduler.waitUntil(() => scheduler.registrations(workerId).length > 0, { what: 'the worker to register', timeoutMs: 30_000 });
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'LateLogJob', workerId });
    await scheduler.waitUntil(() => scheduler.statuses(occurrenceId).length > 0, { what: 'the job to start' });
    await abort(occurrenceId);
    const final = await scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 });
    cli.child.kill('SIGTERM'); // the job is still running: it logs 1.5 s after its abort
    const code = await cli.exited;
    return { code, output: cli.output(), final, occurrenceId };
  }

  it('a job that logs after its timeout: SIGTERM mid-way exits 0 and its late line still reaches the scheduler', async () => {
    const run = await stopDuringLateJob('timeout', 1, () => Promise.resolve());
    assert.equal(run.code, 0, run.output);
    assert.equal(run.final.body!.Status, JobStatus.TimedOut);
    assert.doesNotMatch(run.output, /already closed/);
    assert.match(run.output, /returned after it was aborted \(timeout\)/);
    await scheduler.waitUntil(() => scheduler.logs(run.occurrenceId).some((l) => (l.body!.Log as Record<string, unknown>)['Message'] === 'late line after the abort'), { what: 'the late line', timeoutMs: 15_000 });
  });

  it('a job that logs after a cancel: SIGTERM mid-way exits 0 and its late line still reaches the scheduler', async () => {
    const run = await stopDuringLateJob('cancel', 60, (occurrenceId) => redis.publish(CHANNEL, JSON.stringify({ OccurrenceId: occurrenceId, CorrelationId: occurrenceId, Reason: 'spec' })));
    assert.equal(run.code, 0, run.output);
    assert.equal(run.final.body!.Status, JobStatus.Cancelled);
    assert.doesNotMatch(run.output, /already closed/);
    assert.match(run.output, /returned after it was aborted \(user\)/);
    await scheduler.waitUntil(() => scheduler.logs(run.occurrenceId).some((l) => (l.body!.Log as Record<string, unknown>)['Message'] === 'late line after the abort'), { what: 'the late line', timeoutMs: 15_000 });
  });
});
