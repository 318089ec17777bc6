// createHealthServer(): the HTTP probes of the .NET API-worker template (/health, /health/live, /health/ready,
// /health/startup) plus Prometheus /metrics, on node:http. It answers from the report and metrics callbacks
// only: nothing from the request is ever echoed, and timeouts keep a slow client from holding a socket.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import type { HealthReport } from './to-health-report.js';
import { errorMessage } from '../../core/util/error-message.js';

/** Options of {@link createHealthServer}. */
export interface HealthServerOptions {
  /** The address to bind; callers default it to 127.0.0.1. */
  readonly host: string;
  /** 0 picks a free port (specs). */
  readonly port: number;
  /** The health report each probe request answers from. */
  readonly report: () => HealthReport;
  /** The Prometheus text exposition (prom-client renders it asynchronously). */
  readonly metrics: () => string | Promise<string>;
  /** The Content-Type of that text (default `text/plain; version=0.0.4; charset=utf-8`, prom-client's `registry.contentType`). */
  readonly metricsContentType?: string;
  readonly logger: TechnicalLogger;
}

/** The probe server. */
export interface HealthServer {
  /** Listens; resolves with the bound port. */
  start(): Promise<{ port: number }>;
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const ZERO_DURATION = toTimeSpan(0);

/** Formats milliseconds as a .NET TimeSpan the way System.Text.Json writes it: `[d.]hh:mm:ss.fffffff`. */
function toTimeSpan(ms: number): string {
  const ticks = Math.max(0, Math.round(ms * 10_000));
  const totalSeconds = Math.floor(ticks / 10_000_000);
  const fraction = String(ticks % 10_000_000).padStart(7, '0');
  const days = Math.floor(totalSeconds / 86_400);
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${two(Math.floor(totalSeconds / 3600) % 24)}:${two(Math.floor(totalSeconds / 60) % 60)}:${two(totalSeconds % 60)}.${fraction}`;
  return days > 0 ? `${days}.${clock}` : clock;
}

/** Creates the health and metrics HTTP server (not yet listening). */
export function createHealthServer(options: HealthServerOptions): HealthServer {
  const server = createProbeServer(createRequestHandler(toRoutes(options), options.logger));
  let closing: Promise<void> | undefined;

  return {
    start() {
      return listen(server, options);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

type Route = (res: ServerResponse) => void | Promise<void>;

function send(res: ServerResponse, status: number, type: string | undefined, body: string): void {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (type !== undefined) res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body); // node:http drops the body of a HEAD response itself
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON_TYPE, JSON.stringify(body));
}

function stamp(): { timestamp: string; uptime: string } {
  return { timestamp: new Date().toISOString(), uptime: toTimeSpan(process.uptime() * 1000) };
}

// Each endpoint builds its body field by field, so nothing outside the documented shape can leak out.
function toRoutes(options: HealthServerOptions): Readonly<Record<string, Route>> {
  return {
    '/health': (res) => send(res, 200, TEXT_TYPE, 'Ok'),
    '/health/live': (res) => {
      const { live } = options.report();
      sendJson(res, live ? 200 : 503, { status: live ? 'Healthy' : 'Unhealthy', ...stamp() });
    },
    '/health/startup': (res) => {
      const { started } = options.report();
      sendJson(res, started ? 200 : 503, { status: started ? 'Started' : 'Starting', ...stamp() });
    },
    '/health/ready': (res) => {
      const t0 = performance.now();
      const report = options.report();
      // The checks read in-memory state, so each one's own duration is zero; the total is what report() took.
      const checks = report.checks.map((c) => ({
        name: c.name,
        status: c.status,
        description: c.description,
        duration: ZERO_DURATION,
        tags: [],
        data: c.data,
      }));
      const duration = toTimeSpan(performance.now() - t0);
      sendJson(res, report.ready ? 200 : 503, { status: report.status, duration, timestamp: new Date().toISOString(), checks });
    },
    '/metrics': async (res) => send(res, 200, options.metricsContentType ?? PROMETHEUS_TYPE, await options.metrics()),
  };
}

function createRequestHandler(routes: Readonly<Record<string, Route>>, logger: TechnicalLogger): (req: IncomingMessage, res: ServerResponse) => void {
  let failing = false;
  const answer = async (route: Route, path: string, res: ServerResponse) => {
    try {
      await route(res);
      if (failing) logger.info('Health endpoint answers again');
      failing = false;
    } catch (error) {
      // One line per streak of failures: a probe every few seconds must not flood the log.
      if (!failing) logger.error(`Health endpoint ${path} failed: ${errorMessage(error)}`);
      failing = true;
      if (!res.headersSent) send(res, 500, undefined, '');
      else res.destroy();
    }
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) return send(res, 404, undefined, '');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, undefined, '');
    }
    void answer(route, path, res);
  };
}

function createProbeServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Server {
  // connectionsCheckingInterval: how often node enforces headersTimeout/requestTimeout (default 30 s).
  const server = createServer({ maxHeaderSize: 8 * 1024, connectionsCheckingInterval: 1_000 }, handle);
  // A probe is one short GET: bound how long a client may take to send headers, the request and idle time.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
  server.maxRequestsPerSocket = 100;
  server.setTimeout(15_000, (socket) => socket.destroy());
  // No 'clientError' listener: node's own answers malformed requests with 400, 408 or 431 and closes the socket.
  return server;
}

function listen(server: Server, options: HealthServerOptions): Promise<{ port: number }> {
  const { logger } = options;
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(new Error(`Health server cannot listen on ${options.host}:${options.port}: ${error.message}`));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      server.on('error', (error) => logger.error(`Health server: ${error.message}`));
      const { port } = server.address() as AddressInfo;
      logger.info(`Health probes and metrics on http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`);
      resolve({ port });
    });
  });
}
