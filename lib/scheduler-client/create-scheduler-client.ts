// createSchedulerClient(): a scheduler stand-in for integration tests. It dispatches jobs exactly as Milvaion does (protocol
// §1.6, §2.1) and collects what workers send back (statuses, logs, registrations, heartbeats, dead letters) for tests.
import { Connection, type Consumer, type Envelope, type Publisher, type ReturnedMessage } from 'rabbitmq-client';
import { isFinalStatus } from '../core/is-final-status.js';
import { JobStatus } from '../core/types.js';
import { toQueueNames } from './to-queue-names.js';
import { consumeSchedulerQueues, JOBS_EXCHANGE } from './consume-scheduler-queues.js';
import { describeError } from './describe-error.js';
import { toCollectedMessages, type CollectedMessage } from './to-collected-message.js';
import { toDispatchEnvelope, toDispatchMessage, type DispatchedJob, type DispatchOptions } from './to-dispatch-message.js';
import { redactUrl } from '../transports/amqp/to-amqp-url.js';
import { withOccurrenceDetail } from './with-occurrence-detail.js';

export { newOccurrenceId, toDispatchEnvelope, toDispatchMessage, type DispatchedJob, type DispatchOptions } from './to-dispatch-message.js';
export type { CollectedMessage } from './to-collected-message.js';

/** The statuses that end an occurrence: Completed, Failed, Cancelled, TimedOut, and the scheduler's Unknown and Skipped. */
export const FINAL_STATUSES: ReadonlySet<number> = new Set<number>(Object.values(JobStatus).filter(isFinalStatus));

/** Options of createSchedulerClient(): the broker URL and whether to purge the collected queues first. */
export interface SchedulerClientOptions {
  readonly url: string;
  /** The brokers of a cluster (`host:port` each), tried in turn; the URL gives user, password and vhost. */
  readonly hosts?: readonly string[] | undefined;
  /** The deployment's queue type (default Classic): with Quorum the collected queues are declared as quorum queues. */
  readonly queueType?: 'Classic' | 'Quorum' | undefined;
  /** Prepended to the five collected queue names to isolate a test run (e.g. `spec-123.`); those queues are deleted on close. */
  readonly queuePrefix?: string;
  /** Purge the collected queues on start so messages of earlier runs do not leak in. Default true. */
  readonly purge?: boolean;
  /** How long to wait for the broker and the consumers at start. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** false: dispatch only; the collected queues are neither declared nor consumed (default true). */
  readonly consume?: boolean;
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

type Json = Readonly<Record<string, unknown>>;
/** A JobStatusUpdateMessage as a worker sends it. */
export type StatusBody = Json & { readonly CorrelationId?: string; readonly OccurrenceId?: string; readonly JobId?: string; readonly WorkerId?: string; readonly Status?: number; readonly Result?: string | null; readonly Exception?: string | null };
/** A WorkerLogMessage as a worker sends it; each log of a WorkerLogBatchMessage is collected as one (with `batch` set). */
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
  readonly names: Readonly<ReturnType<typeof toQueueNames>>;
  /** Connection and consumer errors seen so far. */
  readonly errors: readonly unknown[];
  /** Publishes a job to `jobs.topic` as the scheduler does and waits for the broker's confirm. */
  dispatch(job: DispatchOptions): Promise<DispatchedJob>;
  /** Publishes any bytes with any properties (confirmed), for malformed-message tests. */
  publishRaw(message: RawPublish): Promise<void>;
  /** The status messages collected so far, of one occurrence or all. */
  statuses(occurrenceId?: string): CollectedMessage<StatusBody>[];
  /** The log messages collected so far, of one occurrence or all. */
  logs(occurrenceId?: string): CollectedMessage<LogBody>[];
  /** The worker registrations collected so far, of one worker or all. */
  registrations(workerId?: string): CollectedMessage<RegistrationBody>[];
  /** The worker heartbeats collected so far, of one worker or all. */
  heartbeats(workerId?: string): CollectedMessage<HeartbeatBody>[];
  /** The messages collected from the failed-jobs queue, of one occurrence or all. */
  deadLetters(occurrenceId?: string): CollectedMessage<Json>[];
  /** `ExternalJobRegistrationMessage`s (Milvaion 10.1), of one ExternalJobId or all. */
  externalRegistrations(externalJobId?: string): CollectedMessage<Json>[];
  /** `ExternalJobOccurrenceMessage`s, of one CorrelationId or all. */
  externalOccurrences(correlationId?: string): CollectedMessage<Json>[];
  /** Dispatches the broker returned because no queue was bound to their routing key. */
  returned(): ReturnedMessage[];
  /** Resolves with the first truthy value of `find`, re-checked on every collected message and every 25 ms. */
  waitFor<T>(find: () => T | undefined | null | false, options?: WaitOptions): Promise<T>;
  /** Resolves when `check` returns true. */
  waitUntil(check: () => boolean, options?: WaitOptions): Promise<void>;
  /** Resolves with the first status of the occurrence whose Status is in FINAL_STATUSES; the timeout error lists what arrived. */
  waitForFinalStatus(occurrenceId: string, options?: { readonly timeoutMs?: number }): Promise<CollectedMessage<StatusBody>>;
  /** Forgets every collected message. */
  clear(): void;
  /** Stops consuming, rejects pending waits and closes the connection. */
  close(): Promise<void>;
}

/** Connects to RabbitMQ, declares and purges the scheduler's queues, and starts collecting from them. */
export async function createSchedulerClient(options: SchedulerClientOptions): Promise<SchedulerClient> {
  const prefix = options.queuePrefix ?? '';
  const names = toQueueNames(prefix);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const c: Collector = { names, errors: [], collected: new Map(Object.values(names).map((q) => [q, []])), returns: [], waiters: new Set(), closed: false };
  const hosts = options.hosts === undefined || options.hosts.length === 0 ? {} : { hosts: [...options.hosts] };
  const rabbit = new Connection({ url: options.url, ...hosts, connectionName: 'milvaion-worker scheduler-client', retryLow: 100, retryHigh: 1000, connectionTimeout: timeoutMs });
  rabbit.on('error', (error) => c.errors.push(error));
  const consumers: Consumer[] = [];
  try {
    if (options.consume === false) await rabbit.onConnect(timeoutMs);
    else await consumeSchedulerQueues(rabbit, { names, purge: options.purge ?? true, timeoutMs, queueType: options.queueType, plain: [names.externalRegistrations, names.externalOccurrences], consumers, errors: c.errors, onMessage: (queue, msg) => toCollectedMessages(queue, msg, queue === names.logs).forEach((m) => collect(c, queue, m)) });
  } catch (error) {
    void Promise.allSettled(consumers.map((consumer) => consumer.close()));
    rabbit.unsafeDestroy();
    throw new Error(`createSchedulerClient: could not start on ${redactUrl(options.url)}: ${describeError(error)}`, { cause: error });
  }
  const publisher = rabbit.createPublisher({ confirm: true, exchanges: [JOBS_EXCHANGE] });
  // The `onReturn` prop is typed but unused in rabbitmq-client 5.0.8; the event works.
  publisher.on('basic.return', (msg) => c.returns.push(msg));

  const client: SchedulerClient = {
    names,
    errors: c.errors,
    dispatch: (job) => dispatch(publisher, job),
    async publishRaw({ exchange = '', routingKey, body, properties }) {
      await publisher.send({ ...properties, exchange, routingKey }, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
    },
    statuses: (occurrenceId) => byOccurrence<StatusBody>(c, names.statuses, occurrenceId),
    logs: (occurrenceId) => byOccurrence<LogBody>(c, names.logs, occurrenceId),
    registrations: (workerId) => byWorker<RegistrationBody>(c, names.registrations, workerId),
    heartbeats: (workerId) => byWorker<HeartbeatBody>(c, names.heartbeats, workerId),
    deadLetters: (occurrenceId) => byOccurrence<Json>(c, names.deadLetters, occurrenceId),
    externalRegistrations: (id) => list<Json>(c, names.externalRegistrations).filter((m) => id === undefined || m.body?.['ExternalJobId'] === id),
    externalOccurrences: (correlationId) => byOccurrence<Json>(c, names.externalOccurrences, correlationId),
    returned: () => [...c.returns],
    waitFor: (find, waitOptions) => waitFor(c, find, waitOptions),
    async waitUntil(check, waitOptions) {
      await client.waitFor(() => check(), waitOptions);
    },
    async waitForFinalStatus(occurrenceId, { timeoutMs: limit = 10_000 } = {}) {
      const final = () => client.statuses(occurrenceId).find((m) => FINAL_STATUSES.has(Number(m.body?.Status)));
      try {
        return await client.waitFor(final, { timeoutMs: limit, what: `a final status of occurrence ${occurrenceId}` });
      } catch (error) {
        throw withOccurrenceDetail(client, c.returns, occurrenceId, error);
      }
    },
    clear() {
      for (const messages of c.collected.values()) messages.length = 0;
      c.returns.length = 0;
    },
    async close() {
      if (c.closed) return;
      c.closed = true;
      for (const wake of [...c.waiters]) wake();
      await Promise.allSettled([publisher.close(), ...consumers.map((consumer) => consumer.close())]);
      if (prefix !== '') await Promise.allSettled(Object.values(names).map((queue) => rabbit.queueDelete({ queue })));
      await rabbit.close();
    },
  };
  return client;
}

type QueueNames = SchedulerClient['names'];

/** What the client has collected and who waits for it; `closed` ends every wait. */
interface Collector {
  readonly names: QueueNames;
  readonly errors: unknown[];
  readonly collected: Map<string, CollectedMessage<Json>[]>;
  readonly returns: ReturnedMessage[];
  readonly waiters: Set<() => void>;
  closed: boolean;
}

function collect(c: Collector, queue: string, message: CollectedMessage<Json>): void {
  c.collected.get(queue)?.push(message);
  for (const wake of c.waiters) wake();
}

async function dispatch(publisher: Publisher, job: DispatchOptions): Promise<DispatchedJob> {
  const message = toDispatchMessage(job);
  const { envelope, body } = toDispatchEnvelope(message);
  await publisher.send({ ...envelope, mandatory: true }, body);
  // basic.return arrives before the confirm but is emitted on setImmediate: let it land before we resolve.
  await new Promise((resolve) => setImmediate(resolve));
  return message;
}

function list<B extends Json>(c: Collector, queue: string): CollectedMessage<B>[] {
  return (c.collected.get(queue) ?? []) as CollectedMessage<B>[];
}

function byOccurrence<B extends Json>(c: Collector, queue: string, occurrenceId: string | undefined): CollectedMessage<B>[] {
  return list<B>(c, queue).filter((m) => occurrenceId === undefined || mentions(m, occurrenceId));
}

function byWorker<B extends Json>(c: Collector, queue: string, workerId: string | undefined): CollectedMessage<B>[] {
  return list<B>(c, queue).filter((m) => workerId === undefined || m.body?.['WorkerId'] === workerId);
}

function waitFor<T>(c: Collector, find: () => T | undefined | null | false, { timeoutMs: limit = 10_000, what = 'a condition' }: WaitOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      c.waiters.delete(check);
      clearInterval(poll);
      clearTimeout(timer);
      if (error !== undefined) reject(error);
    };
    function check(): void {
      if (c.closed) return finish(new Error(`Scheduler client closed while waiting for ${what}`));
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
    const timer = setTimeout(() => finish(new Error(`Timed out after ${limit} ms waiting for ${what}. ${summary(c)}`)), limit);
    c.waiters.add(check);
    check();
  });
}

function summary(c: Collector): string {
  const counts = Object.entries(c.names).map(([kind, queue]) => `${kind} ${c.collected.get(queue)?.length ?? 0}`);
  const problems = c.errors.length === 0 ? '' : ` Errors: ${c.errors.map(describeError).join('; ')}.`;
  return `Collected: ${counts.join(', ')}; returned unroutable ${c.returns.length}.${problems}`;
}

/** True when the message names the occurrence in its body, headers or correlation_id property (case-insensitive). */
function mentions(message: CollectedMessage<Json>, occurrenceId: string): boolean {
  const wanted = occurrenceId.toLowerCase();
  const candidates = [message.body?.['CorrelationId'], message.body?.['OccurrenceId'], message.headers['CorrelationId'], message.headers['OccurrenceId'], message.properties.correlationId];
  return candidates.some((c) => (Buffer.isBuffer(c) ? c.toString() : typeof c === 'string' ? c : '').toLowerCase() === wanted);
}
