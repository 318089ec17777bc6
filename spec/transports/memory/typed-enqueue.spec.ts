// Typed enqueue on the embedded worker. `npm run check` type-checks this file: each @ts-expect-error must meet the
// error it announces (a misspelt name, wrong data), or the check fails. The tests also run the typed calls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { createEmbeddedWorker, defineJob, JobStatus, type AnyJobDefinition } from '../../../lib/index.ts';

const resizeImage = defineJob({
  name: 'ResizeImageJob',
  // The input type (what is sent) differs from the output (what run() gets): width is a string on the wire.
  data: v.object({ url: v.string(), width: v.pipe(v.string(), v.transform(Number)) }),
  run: (data) => ({ pixels: data.width * 2 }),
});
const ping = defineJob({ name: 'PingJob', run: () => 'pong' });
const notRegistered = defineJob({ name: 'NotRegisteredJob', data: v.object({ id: v.number() }), run: () => undefined });

/** Compiled, never called: the calls that must not compile, next to those that must. */
export function typeChecks(worker: ReturnType<typeof createEmbeddedWorker<readonly [typeof resizeImage, typeof ping]>>): void {
  worker.enqueue('ResizeImageJob', { url: 'a.png', width: '100' });
  worker.enqueue(resizeImage, { url: 'a.png', width: '100' });
  worker.enqueue('PingJob');
  worker.enqueue(ping, { anything: true }, { occurrenceId: 'x' });
  // @ts-expect-error: a misspelt name is no job of this worker
  worker.enqueue('ResizImageJob', { url: 'a.png', width: '100' });
  // @ts-expect-error: width is the schema's input, a string, not the number run() receives
  worker.enqueue('ResizeImageJob', { url: 'a.png', width: 100 });
  // @ts-expect-error: by definition too, wrong data fails
  worker.enqueue(resizeImage, { url: 'a.png' });
  // @ts-expect-error: data is required when the schema does not accept undefined
  worker.enqueue(resizeImage);
  // @ts-expect-error: a definition this worker was not given
  worker.enqueue(notRegistered, { id: 1 });
  const untyped = createEmbeddedWorker({ jobs: [resizeImage, ping] as AnyJobDefinition[] });
  untyped.enqueue(`Resize${'Image'}Job`, { whatever: 1 }); // untyped jobs: any name and data, as before
}

describe('typed enqueue on the embedded worker', () => {
  it('runs a job enqueued by its definition, with the name taken from it', async () => {
    const worker = createEmbeddedWorker({ jobs: [resizeImage, ping] });
    try {
      const byDefinition = await worker.wait(worker.enqueue(resizeImage, { url: 'a.png', width: '100' }));
      assert.equal(byDefinition.jobName, 'ResizeImageJob');
      assert.equal(byDefinition.status, JobStatus.Completed);
      assert.equal(byDefinition.result, '{"pixels":200}');
      const byName = await worker.wait(worker.enqueue('PingJob'));
      assert.equal(byName.status, JobStatus.Completed);
      assert.equal(byName.result, 'pong');
    } finally {
      await worker.close();
    }
  });

  it('keeps the run-time behaviour of a name no job has: the occurrence fails and says so', async () => {
    const worker = createEmbeddedWorker({ jobs: [ping] as AnyJobDefinition[] });
    try {
      const final = await worker.wait(worker.enqueue('ResizImageJob', {}));
      assert.equal(final.status, JobStatus.Failed);
      assert.match(final.exception ?? '', /ResizImageJob/);
    } finally {
      await worker.close();
    }
  });
});
