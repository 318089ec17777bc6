// Sample jobs used by `npm start`, the README and the specs: one of each behaviour a newcomer should see.
import * as v from 'valibot';
import { defineJob, PermanentJobError } from '../../lib/index.ts';

/** Returns a result: the scheduler stores it as the occurrence's Result string. */
export const generateReport = defineJob({
  name: 'GenerateReportJob',
  data: v.object({ month: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}$/, 'expected YYYY-MM')) }),
  async run(data, ctx) {
    ctx.log.info(`Building the report for ${data.month}`);
    return { reportId: `report-${data.month}`, rowCount: 42 };
  },
});

const attemptsByOccurrence = new Map<string, number>();

/** Fails twice with a transient error, then succeeds: retried with backoff. */
export const flakySync = defineJob({
  name: 'FlakySyncJob',
  maxRetries: 3,
  baseRetryDelaySeconds: 0.2,
  async run(_data, ctx) {
    const attempt = (attemptsByOccurrence.get(ctx.occurrence.id) ?? 0) + 1;
    attemptsByOccurrence.set(ctx.occurrence.id, attempt);
    if (attempt < 3) throw new Error(`upstream unavailable (attempt ${attempt})`);
    ctx.log.info(`Synced on attempt ${attempt}`);
    return `synced after ${ctx.occurrence.retryCount} retries`;
  },
});

/** A permanent failure: no retry, straight to the dead-letter queue on a broker. */
export const chargeCard = defineJob({
  name: 'ChargeCardJob',
  data: v.object({ cardToken: v.string() }),
  async run(data) {
    if (data.cardToken === 'revoked') throw new PermanentJobError('The card was revoked; retrying cannot help');
    return 'charged';
  },
});

/** A long job that honours cancellation at every step. */
export const importCatalogue = defineJob({
  name: 'ImportCatalogueJob',
  async run(_data, ctx) {
    for (let step = 1; step <= 100; step++) {
      ctx.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (step % 5 === 0) ctx.log.debug(`Imported batch ${step}`);
    }
    return 'imported';
  },
});

/** Ignores its signal and runs past its timeout: reported TimedOut anyway. */
export const slowExport = defineJob({
  name: 'SlowExportJob',
  executionTimeoutSeconds: 0.3,
  async run(_data, ctx) {
    ctx.log.warn('This export is slow');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return 'too late';
  },
});

/** Every sample job, for registration. */
export const sampleJobs = [generateReport, flakySync, chargeCard, importCatalogue, slowExport];
