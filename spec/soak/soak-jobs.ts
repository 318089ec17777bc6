// The soak's job mix: fast, slow, flaky, permanently failing, cancelled from the dashboard, timing out.
import { defineJob, PermanentJobError } from '../../lib/index.ts';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

/** Returns at once, with a log line before and after. */
export const fastJob = defineJob({
  name: 'FastJob',
  maxParallelJobs: 20,
  run: (_d, ctx) => {
    ctx.log.info('fast start');
    ctx.log.info('fast done');
    return 'fast';
  },
});

/** Takes up to a second, honouring its signal. */
export const slowJob = defineJob({
  name: 'SlowJob',
  maxParallelJobs: 10,
  async run(_d, ctx) {
    ctx.log.info('slow start');
    await sleep(200 + Math.floor(Math.random() * 800), ctx.signal);
    ctx.log.info('slow done');
    return 'slow';
  },
});

/** Fails its first attempt, then completes: never dead-lettered. */
export const flakyJob = defineJob({
  name: 'FlakyJob',
  maxParallelJobs: 10,
  maxRetries: 2,
  baseRetryDelaySeconds: 0.2,
  run: (_d, ctx) => {
    if (ctx.occurrence.retryCount === 0) throw new Error('flaky first attempt');
    return `flaky after ${ctx.occurrence.retryCount}`;
  },
});

/** Always fails permanently: exactly one Failed status and one DLQ message. */
export const brokenJob = defineJob({
  name: 'BrokenJob',
  maxParallelJobs: 5,
  maxRetries: 3,
  run: () => {
    throw new PermanentJobError('broken on purpose');
  },
});

/** Waits to be cancelled from the dashboard (times out after 15 s if a cancel was lost during an outage). */
export const cancelMeJob = defineJob({
  name: 'CancelMeJob',
  maxParallelJobs: 20,
  executionTimeoutSeconds: 15,
  run: (_d, ctx) => sleep(60_000, ctx.signal),
});

/** Ignores its signal and runs past its 1 s timeout. */
export const sleepyJob = defineJob({
  name: 'SleepyJob',
  maxParallelJobs: 10,
  executionTimeoutSeconds: 1,
  run: () => new Promise<string>((resolve) => setTimeout(() => resolve('too late'), 2500)),
});
