// longRunningJob: a job that runs until its signal aborts (a cancel), for the cancel specs of the CLI and the
// test client.
import { defineJob } from '../../lib/index.ts';

/** Runs until its signal aborts (a cancel), or fails after 30 s so a lost cancel cannot hang the spec. */
export const longRunningJob = defineJob({
  name: 'LongRunningJob',
  run: (_data, ctx) =>
    new Promise((_resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not cancelled within 30 s')), 30_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    }),
});
