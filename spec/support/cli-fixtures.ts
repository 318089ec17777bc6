// Fixtures for specs that run the CLI against RabbitMQ: a throwaway vhost with a scheduler-side client, and a
// job module written to disk that imports this checkout's lib.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { createSchedulerClient, type SchedulerClient } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from './amqp-harness.ts';

const LIB_INDEX = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'lib/index.ts');

/**
 * Inside a describe(): a vhost `{prefix}-{pid}` made in `before` and deleted in `after`, with a scheduler client on
 * it. The hooks belong to the suite, so a suite skipped because RabbitMQ is down runs neither.
 */
export function useSchedulerVhost(prefix: string): { readonly vhost: string; scheduler(): SchedulerClient } {
  const vhost = `${prefix}-${process.pid}`;
  let client: SchedulerClient | undefined;
  before(async () => {
    createVhost(vhost);
    client = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
  });
  after(async () => {
    await client?.close();
    deleteVhost(vhost);
  });
  return {
    vhost,
    scheduler() {
      if (client === undefined) throw new Error('useSchedulerVhost: the scheduler client exists only inside tests');
      return client;
    },
  };
}

/** Writes `dir/file`: `defineJob` imported from this checkout, then `body`; returns the file's path. */
export function writeJobModule(dir: string, file: string, body: string): string {
  const target = path.join(dir, file);
  writeFileSync(target, `import { defineJob } from ${JSON.stringify(LIB_INDEX)};\n${body}`);
  return target;
}
