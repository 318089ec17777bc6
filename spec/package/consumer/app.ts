// A TypeScript consumer type-checked with strict, nodenext and skipLibCheck: false against the installed package.
import * as v from 'valibot';
import { createEmbeddedWorker, defineJob, JobStatus, type Middleware } from 'milvaion-worker';
import { createAmqpWorker, type AmqpWorkerOptions } from 'milvaion-worker/amqp';
import { loadConfig, type WorkerConfig } from 'milvaion-worker/host';
import { createSchedulerClient, type SchedulerClient } from 'milvaion-worker/testing';
import { reportBullmq, type BullmqReport, type ReportBullmqOptions } from 'milvaion-worker/bullmq';

export const report = defineJob({
  name: 'ReportJob',
  data: v.object({ month: v.string() }),
  async run(data, ctx) {
    const month: string = data.month;
    ctx.log.info(`report for ${month}`);
    return { month };
  },
});

export const timing: Middleware = async function timing(ctx, next) {
  const started = Date.now();
  const outcome = await next();
  ctx.logger.debug(`took ${Date.now() - started} ms`);
  return outcome;
};

export async function embedded(): Promise<boolean> {
  const worker = createEmbeddedWorker({ jobs: [report], use: [timing] });
  const final = await worker.wait(worker.enqueue('ReportJob', { month: '2026-11' }));
  await worker.close();
  return final.status === JobStatus.Completed;
}

export type Wiring = { amqp: typeof createAmqpWorker; options?: AmqpWorkerOptions; config?: WorkerConfig; client?: SchedulerClient };
export const wiring: Wiring = { amqp: createAmqpWorker };
export const loaders = [loadConfig, createSchedulerClient] as const;
export type Bullmq = { report: typeof reportBullmq; options?: ReportBullmqOptions; running?: BullmqReport };
