// createSchedulerClient(): a scheduler stand-in for integration tests. It dispatches jobs exactly as the Milvaion
// scheduler does (protocol §1.6, §2.1) and collects what workers send back (statuses, logs, registrations,
// heartbeats, dead letters) so a test can wait for them.
import { Connection, type AsyncMessage, type Consumer, type Envelope, type ReturnedMessage } from 'rabbitmq-client';
import { JobStatus } from '../core/types.js';
import { MilvaionNames } from '../transports/amqp/milvaion-names.js';
import { toDispatchEnvelope, toDispatchMessage, type DispatchedJob, type DispatchOptions } from './to-dispatch-message.js';

export { newOccurrenceId, toDispatchEnvelope, toDispatchMessage, type DispatchedJob, type DispatchOptions } from './to-dispatch-message.js';

/** The statuses that end an occurrence as a worker reports it: Completed, Failed, Cancelled, TimedOut. */
export const FINAL_STATUSES: ReadonlySet<number> = new Set<number>([JobStatus.Completed, JobStatus.Failed, JobStatus.Cancelled, JobStatus.TimedOut]);

/** Options of createSchedulerClient(): the broker URL and whether to purge the collected queues first. */
export interface SchedulerClientOptions {
  readonly url: string;
  /** Prepended to the five collected queue names to isolate a test run (e.g. `spec-123.`); those queues are deleted on close. */
  readonly queuePrefix?: string;
  /** Purge the collected queues on start so messages of earlier runs do not leak in. Default true. */
  readonly purge?: boolean;
  /** How long to wait for the broker and the consumers at start. Default 10000. */
  readonly connectTimeoutMs?: number;
}

/** A message published as given (for malformed-message tests). */
export interface RawPublish {
  /** Default `''` (the default exchange, where the routing key is a queue name). */
  readonly exchange?: string;
  readonly routingKey: string;
  /** Sent as bytes; a string is not given a content type. */
  readonly body: Buffer | string;
  /** AMQP properties and headers, sent as given. */
  readonly properties?: Omit<Envelope, 'exchange' | 'routingKey'>;
}

/** One collected message: the parsed body (as sent, PascalCase from workers), its text, headers and properties. */
export interface CollectedMessage<B> {
  readonly queue: string;
  /** The body when it is a JSON object, else undefined. */
  readonly body: B | undefined;
  readonly text: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: Readonly<Omit<AsyncMessage, 'body'>>;
  readonly receivedAt: number;
}

type Json = Readonly<Record<string, unknown>>;
/** A JobStatusUpdateMessage as a worker sends it. */
export type StatusBody = Json & { readonly CorrelationId?: string; readonly OccurrenceId?: string; readonly JobId?: string; readonly WorkerId?: string; readonly Status?: number; readonly Result?: string | null; readonly Exception?: string | null };
/** A WorkerLogMessage as a worker sends it. */
export type LogBody = Json & { readonly CorrelationId?: string; readonly OccurrenceId?: string; readonly WorkerId?: string; readonly Log?: Json };
/** A worker registration (WorkerDiscoveryRequest). */
export type RegistrationBody = Json & { readonly WorkerId?: string; readonly InstanceId?: string; readonly RoutingPatterns?: Readonly<Record<string, string>>; readonly JobTypes?: readonly string[] };
/** A worker heartbeat. */
export type HeartbeatBody = Json & { readonly WorkerId?: string; readonly InstanceId?: string; readonly CurrentJobs?: number };

/** How long to wait, and what for (named in the timeout error). */
export interface WaitOptions {
  /** Default 10000. */
  readonly timeoutMs?: number;
  /** Named in the timeout error. */
  readonly what?: string;
}

/** The scheduler-side client: dispatches jobs and collects what workers send back. */
export interface SchedulerClient {
  /** The collected queue names in use (prefixed when `queuePrefix` is set). */
  readonly names: { readonly statuses: string; readonly logs: string; readonly registrations: string; readonly heartbeats: string; readonly deadLetters: string };
  /** Connection and consumer errors seen so far. */
  readonly errors: readonly unknown[];
  /** Publishes a job to `jobs.topic` as the scheduler does and waits for the broker's confirm. */
  dispatch(job: DispatchOptions): Promise<DispatchedJob>;
  /** Publishes any bytes with any properties (confirmed), for malformed-message tests. */
  publishRaw(message: RawPublish): Promise<void>;
  statuses(occurrenceId?: string): CollectedMessage<StatusBody>[];
  logs(occurrenceId?: string): CollectedMessage<LogBody>[];
  registrations(workerId?: string): CollectedMessage<RegistrationBody>[];
  heartbeats(workerId?: string): CollectedMessage<HeartbeatBody>[];
  deadLetters(occurrenceId?: string): CollectedMessage<Json>[];
  /** Dispatches the broker returned because no queue was bound to their routing key. */
  returned(): ReturnedMessage[];
  /** Resolves with the first truthy value of `find`, re-checked on every collected message and every 25 ms. */
  waitFor<T>(find: () => T | undefined | null | false, options?: WaitOptions): Promise<T>;
  /** Resolves when `check` returns true. */
  waitUntil(check: () => boolean, options?: WaitOptions): Promise<void>;
  /** Resolves with the first status of the occurrence whose Status is 2, 3, 4 or 5; the timeout error lists what arrived. */
  waitForFinalStatus(occurrenceId: string, options?: { readonly timeoutMs?: number }): Promise<CollectedMessage<StatusBody>>;
  /** Forgets every collected message. */
  clear(): void;
  /** Stops consuming, rejects pending waits and closes the connection. */
  close(): Promise<void>;
}

/** Connects to RabbitMQ, declares and purges the scheduler's queues, and starts collecting from them. */
export async function createSchedulerClient(options: SchedulerClientOptions): Promise<SchedulerClient> {
  const prefix = options.queuePrefix ?? '';
  const names = {
    statuses: prefix + MilvaionNames.statusUpdatesQueue,
    logs: prefix + MilvaionNames.workerLogsQueue,
    registrations: prefix + MilvaionNames.workerRegistrationQueue,
    heartbeats: prefix + MilvaionNames.workerHeartbeatQueue,
    deadLetters: prefix + MilvaionNames.failedOccurrencesQueue,
  } as const;
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const errors: unknown[] = [];
  const collected = new Map<string, CollectedMessage<Json>[]>(Object.values(names).map((q) => [q, []]));
  const returns: ReturnedMessage[] = [];
  const waiters = new Set<() => void>();
  const rabbit = new Connection({ url: options.url, connectionName: 'milvaion-worker scheduler-client', retryLow: 100, retryHigh: 1000, connectionTimeout: timeoutMs });
  rabbit.on('error', (error) => errors.push(error));
  const consumers: Consumer[] = [];
  const jobsExchange = { exchange: MilvaionNames.jobsExchange, type: 'topic', durable: true } as const;
  const dlx = { exchange: MilvaionNames.deadLetterExchange, type: 'direct', durable: true } as const;
  const dlqBinding = { queue: names.deadLetters, exchange: dlx.exchange, routingKey: MilvaionNames.deadLetterRoutingKey };
  try {
    await rabbit.onConnect(timeoutMs);
    await rabbit.exchangeDeclare(jobsExchange);
    await rabbit.exchangeDeclare(dlx);
    for (const queue of Object.values(names)) {
      // Durable, no arguments: the exact declaration of protocol §1.2, or the broker answers 406.
      await rabbit.queueDeclare({ queue, durable: true });
      if (options.purge ?? true) await rabbit.queuePurge({ queue });
    }
    await rabbit.queueBind(dlqBinding);
    for (const queue of Object.values(names)) {
      const consumer = rabbit.createConsumer(
        { queue, queueOptions: { durable: true }, qos: { prefetchCount: 100 }, ...(queue === names.deadLetters ? { exchanges: [dlx], queueBindings: [dlqBinding] } : {}) },
        (msg) => {
          collected.get(queue)?.push(toCollected(queue, msg));
          for (const wake of waiters) wake();
        },
      );
      consumer.on('error', (error) => errors.push(error));
      consumers.push(consumer);
      await whenReady(consumer, timeoutMs, queue);
    }
  } catch (error) {
    void Promise.allSettled(consumers.map((c) => c.close()));
    rabbit.unsafeDestroy();
    throw new Error(`createSchedulerClient: could not start on ${redact(options.url)}: ${describe(error)}`, { cause: error });
  }
  const publisher = rabbit.createPublisher({ confirm: true, exchanges: [jobsExchange] });
  // The `onReturn` prop is typed but unused in rabbitmq-client 5.0.8; the event works.
  publisher.on('basic.return', (msg) => returns.push(msg));
  let closed = false;

  const list = <B extends Json>(queue: string) => (collected.get(queue) ?? []) as CollectedMessage<B>[];
  const byOccurrence = <B extends Json>(queue: string, occurrenceId: string | undefined) =>
    list<B>(queue).filter((m) => occurrenceId === undefined || mentions(m, occurrenceId));
  const byWorker = <B extends Json>(queue: string, workerId: string | undefined) =>
    list<B>(queue).filter((m) => workerId === undefined || m.body?.['WorkerId'] === workerId);

  const client: SchedulerClient = {
    names,
    errors,
    async dispatch(job) {
      const message = toDispatchMessage(job);
      const { envelope, body } = toDispatchEnvelope(message);
      await publisher.send({ ...envelope, mandatory: true }, body);
      // basic.return arrives before the confirm but is emitted on setImmediate: let it land before we resolve.
      await new Promise((resolve) => setImmediate(resolve));
      return message;
    },
    async publishRaw({ exchange = '', routingKey, body, properties }) {
      await publisher.send({ ...properties, exchange, routingKey }, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
    },
    statuses: (occurrenceId) => byOccurrence<StatusBody>(names.statuses, occurrenceId),
    logs: (occurrenceId) => byOccurrence<LogBody>(names.logs, occurrenceId),
    registrations: (workerId) => byWorker<RegistrationBody>(names.registrations, workerId),
    heartbeats: (workerId) => byWorker<HeartbeatBody>(names.heartbeats, workerId),
    deadLetters: (occurrenceId) => byOccurrence<Json>(names.deadLetters, occurrenceId),
    returned: () => [...returns],
    waitFor(find, { timeoutMs: limit = 10_000, what = 'a condition' } = {}) {
      return new Promise((resolve, reject) => {
        const finish = (error?: Error) => {
          waiters.delete(check);
          clearInterval(poll);
          clearTimeout(timer);
          if (error !== undefined) reject(error);
        };
        function check(): void {
          if (closed) return finish(new Error(`Scheduler client closed while waiting for ${what}`));
          let found: ReturnType<typeof find>;
          try {
            found = find();
          } catch (error) {
            return finish(error instanceof Error ? error : new Error(String(error)));
          }
          if (found !== undefined && found !== null && found !== false) {
            finish();
            resolve(found);
          }
        }
        const poll = setInterval(check, 25);
        const timer = setTimeout(() => finish(new Error(`Timed out after ${limit} ms waiting for ${what}. ${summary()}`)), limit);
        waiters.add(check);
        check();
      });
    },
    async waitUntil(check, options) {
      await client.waitFor(() => check(), options);
    },
    async waitForFinalStatus(occurrenceId, { timeoutMs: limit = 10_000 } = {}) {
      const final = () => client.statuses(occurrenceId).find((m) => FINAL_STATUSES.has(Number(m.body?.Status)));
      try {
        return await client.waitFor(final, { timeoutMs: limit, what: `a final status of occurrence ${occurrenceId}` });
      } catch (error) {
        const seen = client.statuses(occurrenceId).map((m) => m.body?.Status ?? m.text);
        const unroutable = returns.filter((r) => r.correlationId === occurrenceId).map((r) => `dispatch returned unroutable (routing key ${r.routingKey})`);
        const detail = [`statuses of occurrence ${occurrenceId}: [${seen.join(', ')}]`, `its logs: ${client.logs(occurrenceId).length}`, `its dead letters: ${client.deadLetters(occurrenceId).length}`, ...unroutable];
        throw new Error(`${error instanceof Error ? error.message : String(error)} For it: ${detail.join('; ')}.`, { cause: error });
      }
    },
    clear() {
      for (const messages of collected.values()) messages.length = 0;
      returns.length = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const wake of [...waiters]) wake();
      await Promise.allSettled([publisher.close(), ...consumers.map((c) => c.close())]);
      if (prefix !== '') await Promise.allSettled(Object.values(names).map((queue) => rabbit.queueDelete({ queue })));
      await rabbit.close();
    },
  };

  function summary(): string {
    const counts = Object.entries(names).map(([kind, queue]) => `${kind} ${collected.get(queue)?.length ?? 0}`);
    const problems = errors.length === 0 ? '' : ` Errors: ${errors.map(describe).join('; ')}.`;
    return `Collected: ${counts.join(', ')}; returned unroutable ${returns.length}.${problems}`;
  }

  return client;
}

function toCollected(queue: string, msg: AsyncMessage): CollectedMessage<Json> {
  const { body: raw, ...properties } = msg;
  let text: string;
  let value: unknown;
  if (Buffer.isBuffer(raw) || typeof raw === 'string') {
    text = raw.toString();
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  } else {
    value = raw; // already parsed: the message said application/json
    text = JSON.stringify(raw);
  }
  const body = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  return { queue, body, text, headers: { ...msg.headers }, properties, receivedAt: Date.now() };
}

/** True when the message names the occurrence in its body, headers or correlation_id property (case-insensitive). */
function mentions(message: CollectedMessage<Json>, occurrenceId: string): boolean {
  const wanted = occurrenceId.toLowerCase();
  const candidates = [message.body?.['CorrelationId'], message.body?.['OccurrenceId'], message.headers['CorrelationId'], message.headers['OccurrenceId'], message.properties.correlationId];
  return candidates.some((c) => (Buffer.isBuffer(c) ? c.toString() : typeof c === 'string' ? c : '').toLowerCase() === wanted);
}

function whenReady(consumer: Consumer, timeoutMs: number, queue: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let last: unknown;
    const onError = (error: unknown) => (last = error);
    const timer = setTimeout(() => {
      consumer.off('error', onError);
      reject(new Error(`consumer of ${queue} not ready after ${timeoutMs} ms${last === undefined ? '' : `: ${describe(last)}`}`));
    }, timeoutMs);
    consumer.on('error', onError);
    consumer.once('ready', () => {
      clearTimeout(timer);
      consumer.off('error', onError);
      resolve();
    });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
