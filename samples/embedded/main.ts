// `npm start`: a worker on the embedded transport runs five sample jobs and prints their statuses and logs.
import { createEmbeddedWorker, createLogger, JobStatus } from '../../lib/index.ts';
import { sampleJobs } from '../jobs/sample-jobs.ts';

const STATUS = Object.fromEntries(Object.entries(JobStatus).map(([name, value]) => [value, name]));
// Technical logs are quiet by default; LOG_LEVEL=info (or debug) shows the worker's own lines too.
const logger = createLogger({ level: (process.env['LOG_LEVEL'] as 'info' | 'debug' | undefined) ?? 'silent', tag: 'worker' });
const worker = createEmbeddedWorker({ jobs: sampleJobs, logger });
const started = Date.now();
const at = (t: number) => `+${String(t - started).padStart(5)} ms`;

worker.sink.subscribe((record) => {
  const who = `${record.jobName.padEnd(20)} ${record.occurrenceId.slice(0, 8)}`;
  if (record.type === 'status') {
    const detail = record.result ?? record.exception?.split('\n').slice(0, 2).join(' | ') ?? '';
    console.log(`${at(record.timestamp)}  ${who}  ${String(STATUS[record.status]).padEnd(9)} ${detail}`);
  } else {
    console.log(`${at(record.timestamp)}  ${who}    log ${record.level.padEnd(11)} ${record.message}`);
  }
});

worker.enqueue('GenerateReportJob', { month: '2026-11' });
worker.enqueue('FlakySyncJob', {});
worker.enqueue('ChargeCardJob', { cardToken: 'revoked' });
const longJob = worker.enqueue('ImportCatalogueJob', {});
worker.enqueue('SlowExportJob', {});
setTimeout(() => worker.cancel(longJob, 'Cancelled from the dashboard'), 150);

await worker.idle();
await worker.close();
const finals = worker.sink.statuses().filter((s) => s.phase === 'final');
console.log(`\n${finals.length} occurrences finished: ${finals.map((s) => `${s.jobName}=${STATUS[s.status]}`).join(', ')}`);
