// Whether RabbitMQ and Redis answer on 127.0.0.1, probed once per spec process when this module loads, so a
// spec that talks to them is skipped with one line on stderr when they are down, and fails instead when
// MILVAION_REQUIRE_SERVICES=1 (CI, where a skip would hide that nothing was tested).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Connection } from 'rabbitmq-client';

/** A service that integration specs talk to. */
export type Service = 'rabbitmq' | 'redis';

const HOST = '127.0.0.1';
const PROBE_MS = 1500;
const REQUIRED = process.env['MILVAION_REQUIRE_SERVICES'] === '1';
// Only the probe reads these ports (pointing one at an unused port simulates the service being down); the
// specs themselves always connect to 5672 and 6379.
const AMQP_PORT = portFromEnv('MILVAION_TEST_AMQP_PORT', 5672);
const REDIS_PORT = portFromEnv('MILVAION_TEST_REDIS_PORT', 6379);

function portFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${name} must be a TCP port (1-65535), not ${JSON.stringify(text)}`);
  return port;
}

/** Why nothing usable answered: "nothing on" for a refused connection, the error otherwise. */
function toReason(what: string, port: number, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED') return `nothing on ${HOST}:${port}`;
  const detail = error instanceof Error ? error.message : String(error ?? `no answer within ${PROBE_MS} ms`);
  return `no ${what} with ${HOST}:${port} (${detail})`;
}

/** A real AMQP handshake as guest/guest; undefined when it completes, else the reason. */
async function probeRabbitMq(): Promise<string | undefined> {
  const connection = new Connection({ url: `amqp://guest:guest@${HOST}:${AMQP_PORT}`, connectionTimeout: PROBE_MS, retryLow: 100, retryHigh: 200 });
  try {
    return await new Promise<string | undefined>((resolve) => {
      let failure: unknown;
      // Our own (referenced) timer: rabbitmq-client's timers do not keep the process alive for the await.
      const timer = setTimeout(() => resolve(toReason('AMQP handshake', AMQP_PORT, failure)), PROBE_MS);
      const finish = (reason: string | undefined) => {
        clearTimeout(timer);
        resolve(reason);
      };
      connection.on('connection', () => finish(undefined));
      connection.on('error', (error: unknown) => {
        failure ??= error;
        // Refused: nothing listens, no need to wait for the retries.
        if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') finish(toReason('AMQP handshake', AMQP_PORT, error));
      });
    });
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** A TCP connect and a PING that must be answered +PONG; undefined when it is, else the reason. */
function probeRedis(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port: REDIS_PORT });
    let answer = '';
    const finish = (reason: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => finish(toReason('Redis PING', REDIS_PORT, new Error(`no PONG within ${PROBE_MS} ms`))), PROBE_MS);
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (!answer.includes('\r\n')) return;
      const line = answer.slice(0, answer.indexOf('\r\n'));
      finish(line === '+PONG' ? undefined : toReason('Redis PING', REDIS_PORT, new Error(`answered ${JSON.stringify(line)}`)));
    });
    socket.on('error', (error) => finish(toReason('Redis PING', REDIS_PORT, error)));
  });
}

const [rabbitmqDown, redisDown] = await Promise.all([probeRabbitMq(), probeRedis()]);
/** Each service that is down, with the reason. */
const down = new Map<Service, string>();
if (rabbitmqDown !== undefined) down.set('rabbitmq', rabbitmqDown);
if (redisDown !== undefined) down.set('redis', redisDown);

/** Whether every one of `services` answered the probe. */
export function available(...services: Service[]): boolean {
  return services.every((s) => !down.has(s));
}

/** What this spec file skipped, reported once when the process exits. */
const tally = { count: 0, counted: true, broker: false, file: undefined as string | undefined, missing: new Set<Service>(), failed: false };

/** Why specs needing `missing` cannot run, and what starts those services. */
function toSkipReason(missing: readonly Service[]): string {
  return `${[...new Set(missing.map((s) => down.get(s)))].join(', ')}; .ci/run starts ${missing.length > 1 ? 'them' : 'it'}`;
}

/**
 * The node:test options for a suite (or a test) that talks to `services`: `{}` when they are up, else
 * `{ skip: reason }`. Skipped specs are counted and reported in one stderr line per spec file; with
 * MILVAION_REQUIRE_SERVICES=1 the file also gets a test that fails with the reason.
 */
export function needs(...services: Service[]): { skip?: string } {
  const missing = services.filter((s) => down.has(s));
  if (missing.length === 0) return {};
  const reason = toSkipReason(missing);
  const site = callSite();
  tally.count += site === undefined ? 0 : countTests(site.file, site.line);
  tally.counted &&= site !== undefined;
  tally.broker ||= services.includes('rabbitmq');
  tally.file ??= site?.file ?? process.argv[1];
  for (const s of missing) tally.missing.add(s);
  if (REQUIRED && !tally.failed) {
    tally.failed = true;
    it('the services this file needs are up (MILVAION_REQUIRE_SERVICES=1)', () => {
      throw new Error(`MILVAION_REQUIRE_SERVICES=1, but ${reason}`);
    });
  }
  return { skip: reason };
}

process.once('exit', () => {
  if (tally.missing.size === 0) return;
  const file = tally.file === undefined ? 'this spec file' : path.relative(process.cwd(), tally.file);
  const kind = tally.broker ? 'broker' : 'Redis';
  const what = tally.counted && tally.count > 0 ? `${tally.count} ${kind} spec${tally.count === 1 ? '' : 's'}` : `this file's ${kind} specs`;
  const reason = toSkipReason([...tally.missing]);
  process.stderr.write(REQUIRED ? `could not run ${what} in ${file}: ${reason} (MILVAION_REQUIRE_SERVICES=1 makes that a failure)\n` : `skipped ${what} in ${file}: ${reason}\n`);
});

/** The spec file and line that called {@link needs}, from the stack (tsx maps it to the .ts source). */
function callSite(): { file: string; line: number } | undefined {
  const self = fileURLToPath(import.meta.url);
  for (const match of (new Error().stack ?? '').matchAll(/((?:file:\/\/)?\/[^\s():]+):(\d+):\d+/g)) {
    const file = match[1]!.startsWith('file:') ? fileURLToPath(match[1]!) : match[1]!;
    if (file !== self) return { file, line: Number(match[2]) };
  }
  return undefined;
}

/**
 * How many tests the call on `line` gates: 1 for an `it(…)`, else the `it(` lines of the `describe(…)` block
 * that starts there (up to the first later line indented no deeper that closes it).
 */
function countTests(file: string, line: number): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines[line - 1] ?? '';
  const call = start.slice(0, start.indexOf('needs('));
  if (/\bit\(/.test(call) && !/\bdescribe\(/.test(call)) return 1;
  const indent = /^\s*/.exec(start)![0].length;
  let count = 0;
  for (const text of lines.slice(line)) {
    const depth = /^\s*/.exec(text)![0].length;
    if (text.trim() !== '' && depth <= indent && /^\s*[})]/.test(text)) break;
    if (/^\s*it\(/.test(text)) count++;
  }
  return count;
}
