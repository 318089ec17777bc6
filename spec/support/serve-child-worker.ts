// The protocol of a worker child that spawn-worker.ts starts: `READY <instanceId>` once consuming, and on SIGTERM a
// graceful stop that prints `STOPPED` and exits 0.
import type { AmqpWorker } from '../../lib/amqp.ts';

/** Stops `worker` gracefully on SIGTERM (`graceMs` for its running jobs), then starts it and says READY. */
export async function serveChildWorker(worker: AmqpWorker, graceMs = 5000): Promise<void> {
  process.once('SIGTERM', () => {
    void worker.close({ graceMs, drainMs: 5000 }).then(() => {
      process.stdout.write('STOPPED\n');
      process.exit(0);
    });
  });
  await worker.start();
  process.stdout.write(`READY ${worker.identity.instanceId}\n`);
}
