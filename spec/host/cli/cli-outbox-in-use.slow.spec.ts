// `milvaion-worker run` on an outbox folder that another live worker process holds ends like every other
// start failure: one error line naming the folder, the owning pid and OfflineResilience:LocalStoragePath, exit 1.
// Before: an uncaught OutboxStoreError with its stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { useSchedulerVhost, writeJobModule } from '../../support/cli-fixtures.ts';
import { needs } from '../../support/services.ts';
import { startCli } from '../../support/start-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-outbox-in-use-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const JOBS = writeJobModule(dir, 'jobs.ts', "export const echo = defineJob({ name: 'EchoJob', run: async () => 'ok' });\n");

describe('CLI start on an outbox folder another worker process holds', { timeout: 60_000, ...needs('rabbitmq') }, () => {
  const { vhost } = useSchedulerVhost('spec-cli-outbox-in-use');
  const outbox = path.join(dir, 'outbox');

  /** The config of both processes: the same WorkerId and the same outbox folder. */
  const writeConfig = (name: string) => {
    const config = path.join(dir, `${name}.json`);
    const worker = { WorkerId: `outbox-in-use-${process.pid}`, LogFormat: 'text', ShutdownTimeoutSeconds: 2, StartupConnectionTimeoutSeconds: 10, RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost }, OfflineResilience: { LocalStoragePath: outbox } };
    writeFileSync(config, JSON.stringify({ Worker: worker }));
    return config;
  };

  it('the second process exits 1 with one error line naming the folder, the pid and the key, and no stack trace', async () => {
    const first = startCli(writeConfig('first'), JOBS, dir);
    try {
      const deadline = Date.now() + 20_000;
      while (!/Worker \S+ consuming/.test(first.output())) {
        if (Date.now() > deadline || first.child.exitCode !== null) assert.fail(`the first worker did not start consuming:\n${first.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const second = startCli(writeConfig('second'), JOBS, dir);
      const code = await second.exited;
      const output = second.output();
      assert.equal(code, 1, output);
      const errors = output.split('\n').filter((l) => /\bERROR\b/.test(l));
      assert.equal(errors.length, 1, output);
      assert.ok(errors[0]!.includes(`The outbox ${outbox} is in use by process ${first.child.pid}.`), output);
      assert.match(errors[0]!, /OfflineResilience:LocalStoragePath/);
      assert.doesNotMatch(output, /^ {4}at /m, 'no stack trace');
      assert.doesNotMatch(output, /OutboxStoreError/);
    } finally {
      // The first worker stops cleanly once the second is gone (by its pid, never by name).
      first.child.kill('SIGTERM');
    }
    const firstCode = await first.exited;
    assert.equal(firstCode, 0, first.output());
    assert.match(first.output(), /Stopped cleanly/);
  });
});
