// A CommonJS consumer: require() of the ES-module package (Node 20.19+ and 22.12+ load it without a flag).
const { createEmbeddedWorker, defineJob, JobStatus } = require('milvaion-worker');
const { createHandler } = require('milvaion-worker/serverless');

const echo = defineJob({ name: 'EchoJob', run: async (data) => ({ echoed: data }) });

async function main() {
  const worker = createEmbeddedWorker({ jobs: [echo] });
  const final = await worker.wait(worker.enqueue('EchoJob', { n: 1 }));
  await worker.close();
  const handled = await createHandler({ jobs: [echo] })({ JobNameInWorker: 'EchoJob', JobData: '{"n":2}', Id: crypto.randomUUID(), CorrelationId: crypto.randomUUID() });
  console.log(JSON.stringify({ embedded: final.status === JobStatus.Completed ? final.result : final.exception, handler: handled.statusName, result: handled.result }));
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
