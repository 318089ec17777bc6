// The shared source contract: a job message handed to a source (the embedded worker, the AMQP worker) is
// executed once and the action its outcome calls for is carried out. One describe() block per implementation.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { defineJob, JobStatus, PermanentJobError, type AnyJobDefinition } from '../../lib/index.ts';

/** The final status of an occurrence, as the scheduler sees it. */
interface SeenStatus {
  readonly status: number;
  readonly result: string | null;
  readonly exception: string | null;
}

/** A source under test, running the contract's jobs. */
export interface SourceSubject {
  /** Hands in a job message in the scheduler's shape; returns its occurrence id. `routeAs` names the job whose queue carries it. */
  dispatch(job: { readonly jobName: string; readonly data?: unknown; readonly routeAs?: string }): Promise<string>;
  /** Hands in a message body as given (with headers), as a broken producer might. */
  dispatchRaw(routeAs: string, body: string, headers: Readonly<Record<string, unknown>>): Promise<void>;
  /** Resolves with the final status of an occurrence. */
  finalStatus(occurrenceId: string): Promise<SeenStatus>;
  /** Resolves with the reason of the dead letter whose headers match. */
  deadLetterReason(match: (headers: Readonly<Record<string, unknown>>) => boolean): Promise<string>;
  close(): Promise<void>;
}

/** The contract's jobs: their names, and how often each occurrence ran. */
interface ContractJobs {
  readonly jobs: readonly AnyJobDefinition[];
  runs(occurrenceId: string): number;
}

/** Job names used by the contract. */
const ContractJob = { echo: 'ContractEchoJob', flaky: 'ContractFlakyJob', permanent: 'ContractPermanentJob' } as const;

function contractJobs(): ContractJobs {
  const runs = new Map<string, number>();
  const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1).get(id)!;
  return {
    runs: (id) => runs.get(id) ?? 0,
    jobs: [
      defineJob({ name: ContractJob.echo, run: (data, ctx) => (count(ctx.occurrence.id), { echoed: data }) }),
      defineJob({
        name: ContractJob.flaky,
        maxRetries: 3,
        baseRetryDelaySeconds: 0.05,
        run: (_data, ctx) => {
          if (count(ctx.occurrence.id) === 1) throw new Error('first attempt fails');
          return `ok at retry ${ctx.occurrence.retryCount}`;
        },
      }),
      defineJob({ name: ContractJob.permanent, maxRetries: 3, run: (_data, ctx) => { count(ctx.occurrence.id); throw new PermanentJobError('cannot ever work'); } }),
    ],
  };
}

/** Defines the contract suite for one source; `create` starts it with the contract's jobs, once for the suite. */
export function sourceContract(
  name: string,
  create: (jobs: readonly AnyJobDefinition[]) => Promise<SourceSubject>,
  options: { timeoutMs?: number; suite?: { readonly skip?: string } } = {},
): void {
  describe(`Source contract: ${name}`, { timeout: options.timeoutMs ?? 60_000, ...options.suite }, () => {
    const jobs = contractJobs();
    let subject: SourceSubject;
    before(async () => {
      subject = await create(jobs.jobs);
    });
    after(() => subject.close());

    it('runs a handed-in job once and reports Completed with its result', async () => {
      const occurrenceId = await subject.dispatch({ jobName: ContractJob.echo, data: { text: 'héllo 🌍' } });
      const final = await subject.finalStatus(occurrenceId);
      assert.deepEqual(final, { status: JobStatus.Completed, result: '{"echoed":{"text":"héllo 🌍"}}', exception: null });
      assert.equal(jobs.runs(occurrenceId), 1);
    });

    it('carries out a scheduled retry: the job runs again with the next retry count and then completes', async () => {
      const occurrenceId = await subject.dispatch({ jobName: ContractJob.flaky });
      const final = await subject.finalStatus(occurrenceId);
      assert.deepEqual(final, { status: JobStatus.Completed, result: 'ok at retry 1', exception: null });
      assert.equal(jobs.runs(occurrenceId), 2);
    });

    it('ends a permanent failure as Failed after one run, without retries', async () => {
      const occurrenceId = await subject.dispatch({ jobName: ContractJob.permanent });
      const final = await subject.finalStatus(occurrenceId);
      assert.equal(final.status, JobStatus.Failed);
      assert.match(final.exception ?? '', /PermanentJobError[\s\S]*cannot ever work/);
      assert.equal(jobs.runs(occurrenceId), 1);
    });

    it('ends a message naming no registered job as Failed, running nothing', async () => {
      const occurrenceId = await subject.dispatch({ jobName: 'ContractGhostJob', routeAs: ContractJob.echo });
      const final = await subject.finalStatus(occurrenceId);
      assert.deepEqual(final, { status: JobStatus.Failed, result: null, exception: 'No job registered for type: ContractGhostJob' });
      assert.equal(jobs.runs(occurrenceId), 0);
    });

    it('does not run a malformed message and dead-letters it with the reason', async () => {
      const marker = randomUUID();
      await subject.dispatchRaw(ContractJob.echo, '{"id": "not json', { CorrelationId: randomUUID(), SpecMarker: marker });
      const reason = await subject.deadLetterReason((headers) => headers['SpecMarker'] === marker);
      assert.match(reason, /^Invalid job message: the body is not JSON/);
    });
  });
}
