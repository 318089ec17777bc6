// Specs of createHealthServer(): every endpoint's status code and exact body shape on 127.0.0.1 port 0,
// 404 and 405 with empty bodies, HEAD, no-store, nothing echoed back, and close().
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createHealthServer } from '../../../lib/host/health/create-health-server.ts';
import type { HealthReport } from '../../../lib/host/health/to-health-report.ts';
import { captureLogger } from '../../support/loggers.ts';

const TIMESPAN = /^(\d+\.)?\d{2}:\d{2}:\d{2}\.\d{7}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const healthy: HealthReport = {
  live: true,
  ready: true,
  started: true,
  status: 'Healthy',
  checks: [
    { name: 'Worker', status: 'Healthy', description: 'Running 0 jobs', data: { runningJobs: 0, stopping: false } },
    { name: 'RabbitMQ', status: 'Healthy', description: 'Consume and publish connections are up', data: { consume: true, publish: true } },
  ],
};

describe('createHealthServer()', () => {
  let report: HealthReport = healthy;
  const metricsText = '# HELP milvaion_worker_up Up.\n# TYPE milvaion_worker_up gauge\nmilvaion_worker_up 1\n';
  const logger = captureLogger();
  let reportCalls = 0;
  const server = createHealthServer({
    host: '127.0.0.1',
    port: 0,
    report: () => {
      reportCalls++;
      return report;
    },
    metrics: () => metricsText,
    logger,
  });
  let base = '';

  before(async () => {
    const { port } = await server.start();
    assert.ok(port > 0);
    base = `http://127.0.0.1:${port}`;
  });
  after(() => server.close());
  beforeEach(() => {
    report = healthy;
  });

  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, init);
    return { res, text: await res.text() };
  };
  const json = async (path: string) => {
    const { res, text } = await get(path);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  };

  it('GET /health answers 200 "Ok" as text, not cacheable', async () => {
    const { res, text } = await get('/health');
    assert.equal(res.status, 200);
    assert.equal(text, 'Ok');
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('GET /health/live answers 200 Healthy while live and 503 Unhealthy when not, with only status, timestamp, uptime', async () => {
    const ok = await json('/health/live');
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.body), ['status', 'timestamp', 'uptime']);
    assert.equal(ok.body['status'], 'Healthy');
    assert.match(String(ok.body['timestamp']), ISO);
    assert.match(String(ok.body['uptime']), TIMESPAN);

    report = { ...healthy, live: false, ready: false, status: 'Unhealthy' };
    const down = await json('/health/live');
    assert.equal(down.status, 503);
    assert.deepEqual(Object.keys(down.body), ['status', 'timestamp', 'uptime']);
    assert.equal(down.body['status'], 'Unhealthy');
  });

  it('GET /health/startup answers 503 before the start and 200 Started after it', async () => {
    report = { ...healthy, started: false, ready: false };
    const before = await json('/health/startup');
    assert.equal(before.status, 503);
    assert.deepEqual(Object.keys(before.body), ['status', 'timestamp', 'uptime']);
    assert.equal(before.body['status'], 'Starting');

    report = healthy;
    const after = await json('/health/startup');
    assert.equal(after.status, 200);
    assert.deepEqual(Object.keys(after.body), ['status', 'timestamp', 'uptime']);
    assert.equal(after.body['status'], 'Started');
    assert.match(String(after.body['uptime']), TIMESPAN);
  });

  it('GET /health/ready answers 200 with the ASP.NET-style report while ready', async () => {
    const { status, body } = await json('/health/ready');
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body), ['status', 'duration', 'timestamp', 'checks']);
    assert.equal(body['status'], 'Healthy');
    assert.match(String(body['duration']), TIMESPAN);
    assert.match(String(body['timestamp']), ISO);
    const checks = body['checks'] as Record<string, unknown>[];
    assert.equal(checks.length, 2);
    for (const c of checks) assert.deepEqual(Object.keys(c), ['name', 'status', 'description', 'duration', 'tags', 'data']);
    assert.deepEqual(checks[0], {
      name: 'Worker',
      status: 'Healthy',
      description: 'Running 0 jobs',
      duration: '00:00:00.0000000',
      tags: [],
      data: { runningJobs: 0, stopping: false },
    });
  });

  it('GET /health/ready answers 200 when Degraded but ready, 503 when not ready', async () => {
    report = { ...healthy, status: 'Degraded' };
    const degraded = await json('/health/ready');
    assert.equal(degraded.status, 200);
    assert.equal(degraded.body['status'], 'Degraded');

    report = { ...healthy, ready: false, status: 'Unhealthy' };
    const down = await json('/health/ready');
    assert.equal(down.status, 503);
    assert.equal(down.body['status'], 'Unhealthy');
  });

  it('never returns report fields outside the documented shape', async () => {
    const extra = { ...healthy, secret: 'amqp://guest:guest@rabbit', checks: [{ ...healthy.checks[0]!, exception: 'boom at 10.0.0.1' }] } as unknown as HealthReport;
    report = extra;
    for (const path of ['/health/live', '/health/ready', '/health/startup']) {
      const { text } = await get(path);
      for (const leak of ['secret', 'amqp://', 'exception', '10.0.0.1']) assert.ok(!text.includes(leak), `${path} leaks ${leak}: ${text}`);
    }
  });

  it('GET /metrics answers the Prometheus text with its content type', async () => {
    const { res, text } = await get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(text, metricsText);
  });

  it('ignores the query string', async () => {
    const { res, text } = await get('/health?verbose=1');
    assert.equal(res.status, 200);
    assert.equal(text, 'Ok');
  });

  it('answers 404 with an empty body to anything else, without echoing the request', async () => {
    for (const path of ['/', '/health/', '/healthz', '/metrics/x', '/health/%3Cscript%3Ealert(1)%3C/script%3E', '/__proto__', '/constructor']) {
      const { res, text } = await get(path);
      assert.equal(res.status, 404, path);
      assert.equal(text, '', path);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
  });

  it('answers 405 with Allow: GET, HEAD to other methods on a probe path', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const { res, text } = await get('/health/ready', { method, ...(method === 'POST' || method === 'PUT' ? { body: 'echo me' } : {}) });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      assert.equal(text, '');
    }
  });

  it('answers HEAD with the status and headers but no body', async () => {
    report = { ...healthy, ready: false, status: 'Unhealthy' };
    const { res, text } = await get('/health/ready', { method: 'HEAD' });
    assert.equal(res.status, 503);
    assert.equal(text, '');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('answers 500 with an empty body when the report throws, and logs once per streak', async () => {
    const lines = logger.lines.length;
    // Reading `live` throws inside the route, as a broken report() would.
    report = {
      get live(): boolean {
        throw new Error('probe exploded');
      },
    } as unknown as HealthReport;
    for (let i = 0; i < 3; i++) {
      const { res, text } = await get('/health/live');
      assert.equal(res.status, 500);
      assert.equal(text, '');
    }
    assert.equal(logger.lines.slice(lines).filter((l) => l.level === 'error').length, 1);
    report = healthy;
    assert.equal((await get('/health/live')).res.status, 200);
  });

  it('rejects oversized headers without calling the report', async () => {
    const { port } = new URL(base);
    const calls = reportCalls;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /health/ready HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 431 /);
    assert.equal(reportCalls, calls);
  });
});

describe('createHealthServer() lifecycle', () => {
  it('close() stops answering and closes kept-alive connections; a busy port fails start() with a message', async () => {
    const options = { host: '127.0.0.1', port: 0, report: () => healthy, metrics: () => '', logger: captureLogger() };
    const first = createHealthServer(options);
    const { port } = await first.start();
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const second = createHealthServer({ ...options, port });
    await assert.rejects(second.start(), /Health server cannot listen on 127\.0\.0\.1:\d+/);
    await first.close();
    await first.close();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  });
});
