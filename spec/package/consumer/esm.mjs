// A plain-Node ESM consumer of the installed package: one job through the embedded transport and the serverless handler.
import { createEmbeddedWorker, defineJob, JobStatus } from 'milvaion-worker';
import { createHandler } from 'milvaion-worker/serverless';

const echo = defineJob({
  name: 'EchoJob',
  async run(data, ctx) {
    ctx.log.info('echoing');
    return { echoed: data };
  },
});

const worker = createEmbeddedWorker({ jobs: [echo] });
const final = await worker.wait(worker.enqueue('EchoJob', { n: 1 }));
await worker.close();
const handler = createHandler({ jobs: [echo] });
const handled = await handler({ JobNameInWorker: 'EchoJob', JobData: '{"n":2}', Id: crypto.randomUUID(), CorrelationId: crypto.randomUUID() });
console.log(JSON.stringify({ embedded: final.status === JobStatus.Completed ? final.result : final.exception, handler: handled.statusName, result: handled.result }));
