// createSchedulerClient(): a scheduler stand-in for integration tests. It dispatches jobs exactly as Milvaion does (protocol
// §1.6, §2.1), cancels them on Redis as it does (§2.8), and collects what workers send back (statuses, logs,
// registrations, heartbeats, dead letters) for tests.
import { randomUUID } from 'node:crypto';
import { Connection, type Consumer, type Envelope, type Publisher, type ReturnedMessage } from 'rabbitmq-client';
import type { DataArgs, JobInput } from '../core/vocabulary/job-input.js';
import type { AnyJobDefinition } from '../core/vocabulary/types.js';
import type { RedisSettings } from '../control/redis/parse-cancellation.js';
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import { createCancellationPublisher, type CancellationPublisher, type PublishedCancellation } from './create-cancellation-publisher.js';
import { toDispatchOptions, type DefinitionDispatchOptions, type DispatchArgs, type JobDispatch } from './to-dispatch-options.js';
import { isFinalStatus } from '../core/engine/is-final-status.js';
import { JobStatus } from '../core/vocabulary/types.js';
import { toQueueNames } from './to-queue-names.js';
import { consumeSchedulerQueues, JOBS_EXCHANGE } from './consume-scheduler-queues.js';
import { describeError } from './describe-error.js';
import type { CollectedMessage } from './to-collected-message.js';
import { byOccurrence, byWorker, list, LOG_MARKER, onMessage, waitFor, type Collector, type WaitOptions } from './collector.js';
import { toDispatchEnvelope, toDispatchMessage, type DispatchedJob, type DispatchOptions } from './to-dispatch-message.js';
import { redactUrl } from '../transports/amqp/to-amqp-url.js';
import { withOccurrenceDetail } from './with-occurrence-detail.js';

export { newOccurrenceId, toDispatchEnvelope, toDispatchMessage, type DispatchedJob, type DispatchOptions } from './to-dispatch-message.js';
export type { CollectedMessage } from './to-collected-message.js';
export type { DefinitionDispatchOptions, JobDispatch } from './to-dispatch-options.js';
export type { PublishedCancellation } from './create-cancellation-publisher.js';
export type { WaitOptions } from './collector.js';

/** The statuses that end an occurrence: Completed, Failed, Cancelled, TimedOut, and the scheduler's Unknown and Skipped. */
export const FINAL_STATUSES: ReadonlySet<number> = new Set<number>(Object.values(JobStatus).filter(isFinalStatus));

/** Options of createSchedulerClient(): the broker URL and whether to purge the collected queues first. */
export interface SchedulerClientOptions<TJobs extends readonly AnyJobDefinition[] = readonly AnyJobDefinition[]> {
  readonly url: string;
  /** The WorkerId a dispatch goes to when it names none. */
  readonly workerId?: string | undefined;
  /** The job definitions it dispatches, for the types only: `dispatch({ jobName, data })` then checks the name and the data at compile time. */
  readonly jobs?: TJobs | undefined;
  /** The Redis that `cancel()` publishes on, as the worker's `Worker:Redis` settings or a connection string (default `localhost:6379`). */
  readonly redis?: RedisSettings | string | undefined;
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

/** A JobStatusUpdateMessage as a worker sends it. */
export type StatusBody = Readonly<Record<string, unknown>> & { readonly CorrelationId?: string; readonly OccurrenceId?: string; readonly JobId?: string; readonly WorkerId?: string; readonly Status?: number; readonly Result?: string | null; readonly Exception?: string | null };
/** A WorkerLogMessage as a worker sends it; each log of a WorkerLogBatchMessage is collected as one (with `batch` set). */
export type LogBody = Readonly<Record<string, unknown>> & { readonly CorrelationId?: string; readonly OccurrenceId?: string; readonly WorkerId?: string; readonly Log?: Readonly<Record<string, unknown>> };
/** A worker registration (WorkerDiscoveryRequest). */
export type RegistrationBody = Readonly<Record<string, unknown>> & { readonly WorkerId?: string; readonly InstanceId?: string; readonly RoutingPatterns?: Readonly<Record<string, string>>; readonly JobTypes?: readonly string[] };
/** A worker heartbeat. */
export type HeartbeatBody = Readonly<Record<string, unknown>> & { readonly WorkerId?: string; readonly InstanceId?: string; readonly CurrentJobs?: number };

/** The scheduler-side client: dispatches jobs and collects what workers send back. */
export interface SchedulerClient<TJobs extends readonly AnyJobDefinition[] = readonly AnyJobDefinition[]> {
  /** @internal The collected queue names in use (prefixed when `queuePrefix` is set). */
  readonly names: Readonly<ReturnType<typeof toQueueNames>>;
  /** Connection and consumer errors seen so far. */
  readonly errors: readonly unknown[];
  /**
   * Publishes a job to `jobs.topic` as the scheduler does and waits for the broker's confirm. With the client's
   * `jobs`, `jobName` must be one of their names and `data` that job's data schema input (checked at compile time).
   */
  dispatch(job: JobDispatch<TJobs[number]>): Promise<DispatchedJob>;
  /** Dispatches a job by its definition: the name comes from it, `data` is checked against its schema's input type. */
  dispatch<TJob extends TJobs[number]>(job: TJob, ...args: DataArgs<JobInput<TJob>, DefinitionDispatchOptions>): Promise<DispatchedJob>;
  /**
   * Cancels an occurrence as Milvaion's scheduler does: publishes `{CorrelationId, JobId, OccurrenceId, Reason}` on
   * the Redis cancellation channel (the client's `redis`); resolves with how many subscribers received it.
   */
  cancel(occurrenceId: string, reason?: string): Promise<PublishedCancellation>;
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
  deadLetters(occurrenceId?: string): CollectedMessage<Readonly<Record<string, unknown>>>[];
  /** `ExternalJobRegistrationMessage`s (Milvaion 10.1), of one ExternalJobId or all. */
  externalRegistrations(externalJobId?: string): CollectedMessage<Readonly<Record<string, unknown>>>[];
  /** `ExternalJobOccurrenceMessage`s, of one CorrelationId or all. */
  externalOccurrences(correlationId?: string): CollectedMessage<Readonly<Record<string, unknown>>>[];
  /** Dispatches the broker returned because no queue was bound to their routing key. */
  returned(): ReturnedMessage[];
  /** Resolves with the first truthy value of `find`, re-checked on every collected message and every 25 ms. */
  waitFor<T>(find: () => T | undefined | null | false, options?: WaitOptions): Promise<T>;
  /** Resolves when `check` returns true. */
  waitUntil(check: () => boolean, options?: WaitOptions): Promise<void>;
  /**
   * Resolves with the first status of the occurrence whose Status is in FINAL_STATUSES, once the logs sent before
   * it are collected too (unless `logs: false`), so `logs(occurrenceId)` right after is complete; see
   * {@link SchedulerClient.waitForLogs} for the guarantee. The timeout error lists what arrived. `timeoutMs` (default
   * 10000) is for the final status and its logs together; `logs: false` saves the round trip for the logs.
   */
  waitForFinalStatus(occurrenceId: string, options?: { readonly timeoutMs?: number; readonly logs?: boolean }): Promise<CollectedMessage<StatusBody>>;
  /**
   * Resolves once every log message the broker had put in the logs queue when it was called has been collected.
   * Statuses and logs come on two queues, so a final status can be collected before the logs published ahead of it;
   * this sends a marker through the logs queue and waits for it to come back, and a queue delivers in order. A worker
   * publishes an occurrence's logs before its final status on one channel, so after the final status has arrived,
   * those logs are all collected when this resolves (on one broker node; across a cluster, the two queues' leaders
   * on different nodes do not order them).
   */
  waitForLogs(options?: WaitOptions): Promise<void>;
  /** Forgets every collected message. */
  clear(): void;
  /** Stops consuming, rejects pending waits and closes the connection. */
  close(): Promise<void>;
}

/** Connects to RabbitMQ, declares and purges the scheduler's queues, and starts collecting from them. */
export async function createSchedulerClient<const TJobs extends readonly AnyJobDefinition[] = readonly AnyJobDefinition[]>(
  options: SchedulerClientOptions<TJobs>,
): Promise<SchedulerClient<TJobs>> {
  const prefix = options.queuePrefix ?? '';
  const names = toQueueNames(prefix);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const c: Collector = { names, errors: [], collected: new Map(Object.values(names).map((q) => [q, []])), returns: [], waiters: new Set(), markers: new Set(), closed: false };
  const hosts = options.hosts === undefined || options.hosts.length === 0 ? {} : { hosts: [...options.hosts] };
  const rabbit = new Connection({ url: options.url, ...hosts, connectionName: 'milvaion-worker scheduler-client', retryLow: 100, retryHigh: 1000, connectionTimeout: timeoutMs });
  rabbit.on('error', (error) => c.errors.push(error));
  const consumers: Consumer[] = [];
  try {
    if (options.consume === false) await rabbit.onConnect(timeoutMs);
    else await consumeSchedulerQueues(rabbit, { names, purge: options.purge ?? true, timeoutMs, queueType: options.queueType, plain: [names.externalRegistrations, names.externalOccurrences], consumers, errors: c.errors, onMessage: (queue, msg) => onMessage(c, queue, msg) });
  } catch (error) {
    void Promise.allSettled(consumers.map((consumer) => consumer.close()));
    rabbit.unsafeDestroy();
    throw new Error(`createSchedulerClient: could not start on ${redactUrl(options.url)}: ${describeError(error)}`, { cause: error });
  }
  const publisher = rabbit.createPublisher({ confirm: true, exchanges: [JOBS_EXCHANGE] });
  // The `onReturn` prop is typed but unused in rabbitmq-client 5.0.8; the event works.
  publisher.on('basic.return', (msg) => c.returns.push(msg));

  // Dispatched occurrences' job ids, for the JobId of a cancel (the scheduler sends it; workers cancel by occurrence).
  const jobIds = new Map<string, string>();
  let cancels: CancellationPublisher | undefined;

  const client: SchedulerClient<TJobs> = {
    names,
    errors: c.errors,
    async dispatch(...args: DispatchArgs) {
      const job = await dispatch(publisher, toDispatchOptions(args, options.workerId));
      jobIds.set(job.occurrenceId.toLowerCase(), job.jobId);
      return job;
    },
    async cancel(occurrenceId, reason) {
      cancels ??= createCancellationPublisher(options.redis ?? WorkerDefaults.redis.connectionString);
      return cancels.publish({ occurrenceId, jobId: jobIds.get(occurrenceId.toLowerCase()), reason: reason ?? 'Cancelled by the test scheduler' });
    },
    async publishRaw({ exchange = '', routingKey, body, properties }) {
      await publisher.send({ ...properties, exchange, routingKey }, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
    },
    statuses: (occurrenceId) => byOccurrence<StatusBody>(c, names.statuses, occurrenceId),
    logs: (occurrenceId) => byOccurrence<LogBody>(c, names.logs, occurrenceId),
    registrations: (workerId) => byWorker<RegistrationBody>(c, names.registrations, workerId),
    heartbeats: (workerId) => byWorker<HeartbeatBody>(c, names.heartbeats, workerId),
    deadLetters: (occurrenceId) => byOccurrence<Readonly<Record<string, unknown>>>(c, names.deadLetters, occurrenceId),
    externalRegistrations: (id) => list<Readonly<Record<string, unknown>>>(c, names.externalRegistrations).filter((m) => id === undefined || m.body?.['ExternalJobId'] === id),
    externalOccurrences: (correlationId) => byOccurrence<Readonly<Record<string, unknown>>>(c, names.externalOccurrences, correlationId),
    returned: () => [...c.returns],
    waitFor: (find, waitOptions) => waitFor(c, find, waitOptions),
    async waitUntil(check, waitOptions) {
      await client.waitFor(() => check(), waitOptions);
    },
    async waitForFinalStatus(occurrenceId, { timeoutMs: limit = 10_000, logs = true } = {}) {
      const deadline = Date.now() + limit;
      const final = () => client.statuses(occurrenceId).find((m) => FINAL_STATUSES.has(Number(m.body?.Status)));
      try {
        const status = await client.waitFor(final, { timeoutMs: limit, what: `a final status of occurrence ${occurrenceId}` });
        if (logs) await client.waitForLogs({ timeoutMs: Math.max(deadline - Date.now(), 1), what: `the logs sent before the final status of occurrence ${occurrenceId}` });
        return status;
      } catch (error) {
        throw withOccurrenceDetail(client, c.returns, occurrenceId, error);
      }
    },
    async waitForLogs(waitOptions = {}) {
      const marker = randomUUID();
      c.markers.add(marker);
      await publisher.send({ exchange: '', routingKey: names.logs, durable: false, headers: { [LOG_MARKER]: marker } }, Buffer.from('{}'));
      await client.waitFor(() => !c.markers.has(marker), { what: 'the logs queue to deliver what it held', ...waitOptions }).finally(() => c.markers.delete(marker));
    },
    clear() {
      for (const messages of c.collected.values()) messages.length = 0;
      c.returns.length = 0;
    },
    async close() {
      if (c.closed) return;
      c.closed = true;
      for (const wake of [...c.waiters]) wake();
      await Promise.allSettled([publisher.close(), ...consumers.map((consumer) => consumer.close()), cancels?.close()]);
      if (prefix !== '') await Promise.allSettled(Object.values(names).map((queue) => rabbit.queueDelete({ queue })));
      await rabbit.close();
    },
  };
  return client;
}

async function dispatch(publisher: Publisher, job: DispatchOptions): Promise<DispatchedJob> {
  const message = toDispatchMessage(job);
  const { envelope, body } = toDispatchEnvelope(message);
  await publisher.send({ ...envelope, mandatory: true }, body);
  // basic.return arrives before the confirm but is emitted on setImmediate: let it land before we resolve.
  await new Promise((resolve) => setImmediate(resolve));
  return message;
}
