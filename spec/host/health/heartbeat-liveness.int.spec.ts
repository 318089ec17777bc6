// Liveness of a worker that is alive but unheard: a host whose broker connection stalls (open, but nothing gets
// through: a black-holed network, or a broker that stopped reading) stops being live once its heartbeats have
// been silent for Worker:HealthCheck:MaxHeartbeatSilenceSeconds, on /health/live and in the live file, so that an
// orchestrator restarts it; once the connection flows again and a heartbeat gets through, it is live again.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { before, after, describe, it } from 'node:test';
import { defineJob } from '../../../lib/index.ts';
import { useWorkerHost } from '../../support/host-harness.ts';
import { needs } from '../../support/services.ts';
import { createTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 200 ms until it holds or `ms` pass; returns whether it held. */
async function eventually(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(200);
  }
  return check();
}

describe('liveness when heartbeats stop getting through', { timeout: 90_000, ...needs('rabbitmq') }, () => {
  let proxy: TcpProxy | undefined;
  // Registered before the harness's own before(): the worker's broker is this proxy.
  before(async () => {
    proxy = await createTcpProxy({ targetPort: 5672 });
  });
  const h = useWorkerHost('heartbeat-liveness', {
    jobs: [defineJob({ name: 'IdleJob', run: () => 'ok' })],
    overrides: ({ dir, port, vhost }) => ({
      Worker: {
        RabbitMQ: { Host: '127.0.0.1', Port: proxy!.port, VirtualHost: vhost },
        OfflineResilience: { Enabled: false },
        HealthCheck: { Enabled: true, HttpPort: port, LiveFilePath: path.join(dir, 'live'), ReadyFilePath: path.join(dir, 'ready'), IntervalSeconds: 1, MaxHeartbeatSilenceSeconds: 3 },
      },
    }),
  });
  after(async () => {
    proxy?.resume();
    await proxy?.close();
  });

  const live = async () => (await fetch(`http://127.0.0.1:${h.port}/health/live`)).status;
  const heartbeatCheck = async () => {
    const body = (await (await fetch(`http://127.0.0.1:${h.port}/health/ready`)).json()) as { checks: { name: string; status: string; description: string }[] };
    return body.checks.find((c) => c.name === 'Heartbeat');
  };

  it('is live while heartbeats get through, not live once they have been silent past the limit, and live again after', async () => {
    assert.equal(await live(), 200);
    assert.equal((await heartbeatCheck())?.status, 'Healthy');
    assert.ok(await eventually(() => existsSync(path.join(h.dir, 'live')), 5000), 'the live file is written');

    proxy!.stall();
    assert.ok(await eventually(async () => (await live()) === 503, 20_000), '/health/live turns 503 while nothing gets through');
    const check = await heartbeatCheck();
    assert.equal(check?.status, 'Unhealthy');
    assert.match(check?.description ?? '', /^Connected, but no heartbeat has got through for \d+(\.\d)? s \(Worker:HealthCheck:MaxHeartbeatSilenceSeconds\)/);
    assert.ok(await eventually(() => !existsSync(path.join(h.dir, 'live')), 5000), 'the live file is removed');

    const since = Date.now();
    proxy!.resume();
    assert.ok(await eventually(() => h.scheduler.heartbeats().some((b) => b.receivedAt > since), 20_000), 'heartbeats get through again');
    assert.ok(await eventually(async () => (await live()) === 200, 10_000), '/health/live is 200 again');
    assert.ok(await eventually(() => existsSync(path.join(h.dir, 'live')), 5000), 'the live file is back');
  });
});
