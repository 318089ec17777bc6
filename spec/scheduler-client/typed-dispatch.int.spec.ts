// Typed dispatch in milvaion-worker/testing. `npm run check` type-checks this file: each @ts-expect-error must meet
// the error it announces (a misspelt name, wrong data), or the check fails. The suite runs typed dispatches against
// a real worker on the real broker, in a vhost of its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as v from 'valibot';
import { createAmqpWorker, type AmqpWorker } from '../../lib/amqp.ts';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { captureLogger } from '../support/loggers.ts';
import { needs } from '../support/services.ts';

const resizeImage = defineJob({
  name: 'ResizeImageJob',
  // The input (what is sent) differs from the output (what run() gets): width is a string on the wire.
  data: v.object({ url: v.string(), width: v.pipe(v.string(), v.transform(Number)) }),
  run: (data) => ({ url: data.url, pixels: data.width * 2 }),
});
const ping = defineJob({ name: 'PingJob', run: () => 'pong' });

/** Compiled, never called: the dispatches that must not compile, next to those that must. */
export async function typeChecks(typed: SchedulerClient<readonly [typeof resizeImage, typeof ping]>, untyped: SchedulerClient): Promise<void> {
  await typed.dispatch(resizeImage, { url: 'a.png', width: '100' });
  await typed.dispatch({ jobName: 'ResizeImageJob', data: { url: 'a.png', width: '100' } });
  await typed.dispatch(ping);
  await typed.dispatch({ jobName: 'PingJob', workerId: 'w', rawJobData: '{}' });
  // @ts-expect-error: a misspelt name is none of the client's jobs
  await typed.dispatch({ jobName: 'ResizImageJob', data: { url: 'a.png', width: '100' } });
  // @ts-expect-error: width is the schema's input, a string
  await typed.dispatch({ jobName: 'ResizeImageJob', data: { url: 'a.png', width: 100 } });
  // @ts-expect-error: by definition, wrong data fails too
  await typed.dispatch(resizeImage, { url: 'a.png', width: 100 });
  // @ts-expect-error: by definition, data the schema requires cannot be left out
  await typed.dispatch(resizeImage);
  // Without `jobs`, a dispatch by definition is still checked; by name, anything goes, as before.
  await untyped.dispatch(resizeImage, { url: 'a.png', width: '100' });
  // @ts-expect-error: a definition's data is checked even when the client was given no jobs
  await untyped.dispatch(resizeImage, { url: 'a.png' });
  await untyped.dispatch({ jobName: 'ResizImageJob', workerId: 'w', data: { anything: 1 } });
}

describe('typed dispatch against a worker', { ...needs('rabbitmq'), timeout: 60_000 }, () => {
  const vhost = `spec-typed-dispatch-${process.pid}`;
  const url = `${AMQP_URL}/${vhost}`;
  const workerId = `typed-dispatch-${process.pid}`;
  let scheduler: SchedulerClient<readonly [typeof resizeImage, typeof ping]>;
  let worker: AmqpWorker;
  before(async () => {
    createVhost(vhost);
    scheduler = await createSchedulerClient({ url, workerId, jobs: [resizeImage, ping] });
    worker = createAmqpWorker({ workerId, logger: captureLogger(), rabbitmq: { url }, jobs: [resizeImage, ping], outbox: false, redis: false });
    await worker.start();
  });
  after(async () => {
    await worker?.close({ graceMs: 1000 });
    await scheduler?.close();
    deleteVhost(vhost);
  });

  it('dispatches by definition: the name comes from it, the data is sent as given', async () => {
    const job = await scheduler.dispatch(resizeImage, { url: 'a.png', width: '100' });
    assert.equal(job.body['jobNameInWorker'], 'ResizeImageJob');
    assert.equal(job.body['jobData'], '{"url":"a.png","width":"100"}');
    const final = await scheduler.waitForFinalStatus(job.occurrenceId);
    assert.equal(final.body?.Status, JobStatus.Completed);
    assert.deepEqual(JSON.parse(final.body?.Result ?? 'null'), { url: 'a.png', pixels: 200 });
  });

  it('dispatches by name to the default WorkerId, or to the one a dispatch names', async () => {
    const byName = await scheduler.dispatch({ jobName: 'PingJob' });
    assert.equal((await scheduler.waitForFinalStatus(byName.occurrenceId)).body?.Status, JobStatus.Completed);
    const elsewhere = await scheduler.dispatch(ping, undefined, { workerId: `nobody-${process.pid}` });
    assert.equal(elsewhere.body['workerId'], `nobody-${process.pid}`);
    assert.ok(scheduler.returned().some((r) => r.correlationId === elsewhere.occurrenceId), 'unroutable: no worker has that WorkerId');
  });

  it('refuses a dispatch that names no WorkerId when the client has none, naming the options', async () => {
    const bare = await createSchedulerClient({ url, consume: false });
    try {
      await assert.rejects(bare.dispatch(ping), /dispatch of PingJob: no WorkerId to route it to; give createSchedulerClient\(\{ workerId \}\) or the dispatch's workerId/);
    } finally {
      await bare.close();
    }
  });
});
