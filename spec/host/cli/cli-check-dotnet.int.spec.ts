// `milvaion-worker check` accepts a .NET team's appsettings.json as it is (the shape of upstream Milvaion's own
// worker samples, written here), and says in one note per key what this runtime does not read. Before, it refused
// JobConsumers:<Job>:MaxParallelJobsPerWorker and Worker:ExternalScheduler with exit 78.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode, main } from '../../../lib/host/cli/cli.ts';
import { writeJobModule } from '../../support/cli-fixtures.ts';
import { UPSTREAM_LOGGING, UPSTREAM_WORKER } from '../../support/upstream-worker-settings.ts';

const SQL_WORKER = { ...UPSTREAM_WORKER, WorkerId: 'sql-worker-01', MaxParallelJobs: 64, ExecutionTimeoutSeconds: 600 };

const dir = mkdtempSync(path.join(tmpdir(), 'cli-check-dotnet-'));
after(() => rmSync(dir, { recursive: true, force: true }));


async function check(name: string, settings: unknown, jobs: string): Promise<{ code: number; text: string }> {
  const config = path.join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify(settings, null, 2));
  const lines: string[] = [];
  const code = await main(['check', '--config', config, jobs], { log: (l) => void lines.push(l), error: (l) => void lines.push(l) });
  return { code, text: lines.join('\n') };
}

describe('milvaion-worker check with a .NET appsettings.json', () => {
  it('accepts the SqlWorker shape (MaxParallelJobsPerWorker, the app\'s own section with a password) with one note', async () => {
    const jobs = writeJobModule(dir, 'sql-jobs.ts', "export const sql = defineJob({ name: 'SqlExecutionJob', run: async () => 'ok' });\n");
    const { code, text } = await check('sql', {
      Logging: UPSTREAM_LOGGING,
      SqlExecutorConfig: { Connections: { MilvaionDatabase: { ConnectionString: 'Host=postgres;Password=db-sekret', Provider: 'PostgreSql' } } },
      Worker: SQL_WORKER,
      JobConsumers: {
        SqlExecutionJob: { ConsumerId: 'sql-execution-consumer', MaxParallelJobs: 16, MaxParallelJobsPerWorker: 32, ExecutionTimeoutSeconds: 600, MaxRetries: 3, BaseRetryDelaySeconds: 5, LogUserFriendlyLogsViaLogger: true },
      },
    }, jobs);
    assert.equal(code, ExitCode.ok, text);
    const notes = text.split('\n').filter((l) => l.startsWith('Note: '));
    assert.deepEqual(notes, [
      "Note: JobConsumers:SqlExecutionJob:MaxParallelJobsPerWorker is ignored: upstream's sample files carry it, but neither the .NET SDK nor the scheduler reads it; the scheduler caps each job type by its MaxParallelJobs",
    ]);
    assert.doesNotMatch(text, /db-sekret/);
  });

  it('accepts the Hangfire sample\'s Worker:ExternalScheduler, saying it is for an external reporter', async () => {
    const jobs = writeJobModule(dir, 'hangfire-jobs.ts', "export const log = defineJob({ name: 'SampleLogJob', run: async () => 'ok' });\n");
    const { code, text } = await check('hangfire', { Logging: UPSTREAM_LOGGING, Worker: { ...SQL_WORKER, WorkerId: 'hangfire-worker', ExternalScheduler: { Source: 'Hangfire' } } }, jobs);
    assert.equal(code, ExitCode.ok, text);
    assert.match(text, /^Note: Worker:ExternalScheduler:Source "Hangfire" is for an external reporter/m);
  });

  it('still refuses a typo with exit 78 and the did-you-mean', async () => {
    const jobs = writeJobModule(dir, 'typo-jobs.ts', "export const sql = defineJob({ name: 'SqlExecutionJob', run: async () => 'ok' });\n");
    const { code, text } = await check('typo', { Worker: SQL_WORKER, JobConsumers: { SqlExecutionJob: { MaxParallelJobsPerWorkr: 32 } } }, jobs);
    assert.equal(code, ExitCode.config, text);
    assert.match(text, /JobConsumers:SqlExecutionJob:MaxParallelJobsPerWorkr: unknown key "MaxParallelJobsPerWorkr" \(did you mean "MaxParallelJobsPerWorker"\?\)/);
  });
});
