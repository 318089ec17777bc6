// A logging filter (the .NET IJobFilter): before/after hooks around every job, added to the pipeline via defineSetup.
import * as v from 'valibot';
import { defineJob, defineSetup, filter } from '../../lib/index.ts';

export const loggingFilter = filter({
  before(ctx) {
    ctx.log.info('Job starting...');
  },
  after(ctx, outcome) {
    if (outcome.isOk()) ctx.log.info('Job completed');
    else ctx.log.error(`Job failed: ${outcome.error.kind === 'failed' ? String(outcome.error.error) : outcome.error.kind}`);
  },
});

export const filterSetup = defineSetup({ use: [loggingFilter] });

export const cleanupTempFiles = defineJob({
  name: 'CleanupTempFilesJob',
  data: v.object({ olderThanDays: v.pipe(v.number(), v.minValue(1)) }),
  maxRetries: 0, // a refusal will not change on retry
  run(data) {
    if (data.olderThanDays > 365) throw new Error('Refusing to touch files older than a year');
    return { deleted: 3 };
  },
});
