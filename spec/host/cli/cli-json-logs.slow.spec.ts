// End to end: `milvaion-worker run` with stdout piped (not a TTY) and no Worker:LogFormat writes JSON lines only,
// each with time, level, tag and msg, the worker's lines with workerId and instanceId, a failed job's line with
// jobName, occurrenceId, retryCount, durationMs and its error (the job's frames, runtime frames cut to one line).
// With Worker:LogFormat "text" the same run writes timestamped text lines (needs cli.ts to pass the format).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { JobStatus } from '../../../lib/index.ts';
import { useSchedulerVhost, writeJobModule } from '../../support/cli-fixtures.ts';
import { needs } from '../../support/services.ts';
import { startCli } from '../../support/start-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-json-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// The job's error is made in a timer callback: its stack has node:internal frames below the job's own frame.
const JOBS = writeJobModule(dir, 'failing-jobs.ts', `export const failing = defineJob({
  name: 'FailingExportJob',
  async run() {
    await new Promise((_resolve, reject) => setTimeout(() => reject(new RangeError('export quota exceeded')), 0));
  },
});
`);

describe('CLI technical log formats', { timeout: 120_000, ...needs('rabbitmq') }, () => {
  const { vhost, scheduler: client } = useSchedulerVhost('spec-json-logs');

  /** Runs the CLI (stdout piped), dispatches FailingExportJob once, stops it; returns its stdout and the run. */
  async function runFailingJob(name: string, logFormat?: 'text') {
    const workerId = `cli-logs-${name}`;
    const config = path.join(dir, `${name}.json`);
    writeFileSync(config, JSON.stringify({
      Worker: {
        WorkerId: workerId,
        LogLevel: 'debug',
        ...(logFormat === undefined ? {} : { LogFormat: logFormat }),
        RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost },
        OfflineResilience: { LocalStoragePath: path.join(dir, `outbox-${name}`) },
      },
      JobConsumers: { FailingExportJob: { MaxRetries: 0 } },
    }));
    const scheduler = client();
    const cli = startCli(config, JOBS, dir);
    let stdout = '';
    cli.child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    await scheduler.waitUntil(() => scheduler.registrations(workerId).length > 0, { what: 'the worker to register', timeoutMs: 30_000 });
    const { occurrenceId } = await scheduler.dispatch({ jobName: 'FailingExportJob', workerId });
    const final = await scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 15_000 });
    cli.child.kill('SIGTERM');
    const code = await cli.exited;
    return { code, stdout, output: cli.output(), final, occurrenceId, workerId };
  }

  it('without Worker:LogFormat and stdout not a TTY, every stdout line is a JSON record with the fields', async () => {
    const run = await runFailingJob('json');
    assert.equal(run.code, 0, run.output);
    assert.equal(run.final.body!.Status, JobStatus.Failed);
    assert.match(run.stdout, /\n$/);
    const lines = run.stdout.slice(0, -1).split('\n');
    const records = lines.map((line) => {
      assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
      return JSON.parse(line) as Record<string, unknown>;
    });
    for (const r of records) {
      assert.match(String(r['time']), ISO, JSON.stringify(r));
      assert.ok(['error', 'warn', 'info', 'debug', 'trace'].includes(String(r['level'])), JSON.stringify(r));
      assert.equal(r['tag'], 'milvaion-worker');
      assert.equal(typeof r['msg'], 'string');
    }
    const consuming = records.find((r) => String(r['msg']).includes('consuming'));
    assert.ok(consuming, run.stdout);
    assert.equal(consuming['workerId'], run.workerId);
    assert.match(String(consuming['instanceId']), new RegExp(`^${run.workerId}-[0-9a-f]{8}$`));
    const job = records.filter((r) => r['occurrenceId'] === run.occurrenceId);
    assert.ok(job.length >= 2, 'the start and the end of the job');
    for (const r of job) {
      assert.equal(r['workerId'], run.workerId);
      assert.equal(r['instanceId'], consuming['instanceId']);
      assert.equal(r['jobName'], 'FailingExportJob');
      assert.equal(r['retryCount'], 0);
    }
    const failed = job.find((r) => r['level'] === 'error');
    assert.ok(failed, run.stdout);
    assert.equal(typeof failed['durationMs'], 'number');
    const error = failed['error'] as { type: string; message: string; stack: string };
    assert.deepEqual([error.type, error.message], ['RangeError', 'export quota exceeded']);
    assert.match(error.stack, /failing-jobs\.ts:\d+:\d+/);
    assert.match(error.stack, /\(\d+ runtime frames\)/);
    assert.doesNotMatch(error.stack, /node:internal/);
    // The Exception the scheduler gets keeps the .NET format and every frame.
    assert.match(String(run.final.body!.Exception), /Type: RangeError\nMessage: export quota exceeded\nStackTrace: .*node:internal/s);
  });

  it('with Worker:LogFormat "text", stdout lines are timestamped text, with no blank line', async () => {
    const run = await runFailingJob('text', 'text');
    assert.equal(run.code, 0, run.output);
    const lines = run.stdout.slice(0, -1).split('\n');
    assert.deepEqual(lines.filter((line) => line.trim() === ''), []);
    for (const line of lines) assert.match(line, /^(\d{4}-\d{2}-\d{2}T\S+Z (ERROR|WARN |INFO |DEBUG|TRACE) \[milvaion-worker\] |\s+\S)/, line);
    const at = lines.findIndex((line) => line.includes(`Job failed after 0 retries: FailingExportJob ${run.occurrenceId}`));
    assert.ok(at >= 0, run.stdout);
    assert.equal(lines[at + 1], '  RangeError: export quota exceeded');
    assert.match(lines.slice(at + 2).find((line) => line.includes('runtime frames')) ?? '', /^ {4}\(\d+ runtime frames\)$/);
  });
});
