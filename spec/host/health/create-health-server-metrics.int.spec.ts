// Specs of createHealthServer()'s /metrics with an asynchronous exposition (prom-client renders with a
// Promise): the awaited text and the given content type are served, and a rejection is a logged 500.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHealthServer } from '../../../lib/host/health/create-health-server.ts';
import type { HealthReport } from '../../../lib/host/health/to-health-report.ts';
import { captureLogger } from '../../support/loggers.ts';

const healthy: HealthReport = { live: true, ready: true, started: true, status: 'Healthy', checks: [] };

describe('createHealthServer() /metrics rendered asynchronously', () => {
  it('serves the awaited text with the content type it was given; a rejection answers 500 and logs once', async () => {
    let fail = false;
    const logger = captureLogger();
    const server = createHealthServer({
      host: '127.0.0.1',
      port: 0,
      report: () => healthy,
      metrics: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        if (fail) throw new Error('collect failed');
        return '# HELP a A.\n# TYPE a gauge\na 1\n';
      },
      metricsContentType: 'text/plain; version=0.0.4; charset=utf-8',
      logger,
    });
    const { port } = await server.start();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(await res.text(), '# HELP a A.\n# TYPE a gauge\na 1\n');
      fail = true;
      for (let i = 0; i < 2; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 500);
      assert.deepEqual(logger.messages('error'), ['Health endpoint /metrics failed: collect failed']);
      fail = false;
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
      assert.ok(logger.messages('info').includes('Health endpoint answers again'));
    } finally {
      await server.close();
    }
  });
});
