// createExternalReporter(): jobs that another scheduler runs (BullMQ, cron, anything) appear in Milvaion's
// dashboard, as Milvaion's Hangfire and Quartz packages make them appear: definitions on
// external_job_registration_queue, executions on external_job_occurrence_queue. Every message goes through the
// same LMDB outbox and confirmed relay as a worker's statuses, so nothing is lost while the broker is away, and in
// order: a Starting always reaches the scheduler before its end (its tracker drops an end it cannot match). The
// process registers as a worker with Metadata.IsExternal and sends heartbeats.
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import { silentLogger } from '../create-logger.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import { openOutboxStore } from '../outbox/open-outbox-store.js';
import { createOutboxRelay } from '../outbox/create-outbox-relay.js';
import { createAmqpPublisher } from '../transports/amqp/create-amqp-publisher.js';
import { createWorkerPresence } from '../transports/amqp/create-worker-presence.js';
import { MilvaionNames } from '../transports/amqp/milvaion-names.js';
import { toAmqpUrl } from '../transports/amqp/to-amqp-url.js';
import { toMessageChannel } from '../transports/amqp/to-message-channel.js';
import type { RegisteredJob } from '../transports/amqp/to-presence-messages.js';
import { connectAmqp } from '../transports/amqp/connect-amqp.js';
import { newInstanceId } from '../process/new-instance-id.js';
import { packageVersion } from '../process/package-version.js';
import { externalCorrelationId } from './external-correlation-id.js';
import type { ExternalEnd, ExternalJob, ExternalReporter, ExternalReporterOptions, ExternalStart } from './external-types.js';
import { toOccurrenceMessage, toRegistrationMessage } from './to-external-messages.js';
import { toRegisteredJob } from './to-registered-job.js';

const EXTERNAL_QUEUES = [MilvaionNames.externalJobRegistrationQueue, MilvaionNames.externalJobOccurrenceQueue];

/** Creates a reporter; nothing connects before `start()`. */
export function createExternalReporter(options: ExternalReporterOptions): ExternalReporter {
  const { workerId, source } = options;
  if (/[:\s]/.test(workerId)) throw new Error(`WorkerId must not contain ':' or spaces (the scheduler splits keys on ':'): ${workerId}`);
  const logger = options.logger ?? silentLogger;
  const identity = { workerId, instanceId: options.instanceId ?? newInstanceId(workerId) };
  const { connection, publisher, relayPublisher, store, relay, presence, jobs } = wire(options, identity, logger);
  // The scheduler declares the external queues only while it runs; declared here too, on every (re)connect.
  const declareQueues = () => Promise.all(EXTERNAL_QUEUES.map((queue) => connection.queueDeclare({ queue, durable: true }))).then(() => undefined);
  const onConnection = () => void declareQueues().catch((error: unknown) => logger.warn('Declaring the external-scheduler queues failed', error));
  const write = (queue: string, key: string, message: Record<string, unknown>) => {
    const written = store.append({ queue, body: Buffer.from(JSON.stringify(message)), occurrenceId: key, kind: 'log', createdAt: Date.now() });
    void written.then(() => relay.notify(), () => undefined);
    return written;
  };
  const correlationIdOf: ExternalReporter['correlationIdOf'] = (ref) => externalCorrelationId(source, ref.externalJobId, ref.externalOccurrenceId);
  const who = { workerId, source };
  const starting = async (event: ExternalStart) => {
    const correlationId = correlationIdOf(event);
    await write(MilvaionNames.externalJobOccurrenceQueue, correlationId, toOccurrenceMessage(event, correlationId, who, Date.now()));
    return correlationId;
  };

  return {
    workerId,
    instanceId: identity.instanceId,
    source,
    async start() {
      connection.on('connection', onConnection);
      await connection.onConnect(options.rabbitmq.retryHighMs ?? 30_000, true);
      await declareQueues();
      relay.start();
      await presence.start();
      logger.info(`External reporter ${identity.instanceId} (${source}) reporting to ${MilvaionNames.externalJobRegistrationQueue} and ${MilvaionNames.externalJobOccurrenceQueue}`);
    },
    async registerJob(job: ExternalJob) {
      if (!jobs.some((j) => j.definition.name === job.externalJobId)) {
        // The scheduler creates the job only for a worker that lists it: register the worker's new job list first.
        jobs.push(toRegisteredJob(job.externalJobId));
        await presence.register();
      }
      await write(MilvaionNames.externalJobRegistrationQueue, job.externalJobId, toRegistrationMessage(job, who, Date.now()));
    },
    starting,
    async finished(event: ExternalEnd) {
      // A veto never started; the scheduler drops an end it has no Starting for.
      if (event.outcome === 'Skipped') {
        const { externalJobId, externalOccurrenceId, jobTypeName } = event;
        await starting({ externalJobId, externalOccurrenceId, jobTypeName, startTime: event.startTime ?? event.endTime });
      }
      const correlationId = correlationIdOf(event);
      await write(MilvaionNames.externalJobOccurrenceQueue, correlationId, toOccurrenceMessage(event, correlationId, who, Date.now()));
      return correlationId;
    },
    correlationIdOf,
    async close({ drainMs = 5000 } = {}) {
      connection.off('connection', onConnection);
      await presence.stop({ goodbye: connection.ready });
      await relay.drain(connection.ready ? drainMs : 0);
      await relay.stop();
      if (store.pending > 0) logger.warn(`External reporter: ${store.pending} messages kept in ${store.path}; they are sent on the next start`);
      await store.close();
      await Promise.allSettled([publisher.close(), relayPublisher.close()]);
      await connection.close().catch(() => connection.unsafeDestroy());
    },
  };
}

/** The reporter's parts: one connection, the presence's publisher, the relay's own publisher, the outbox store and relay. */
function wire(options: ExternalReporterOptions, identity: { workerId: string; instanceId: string }, logger: TechnicalLogger) {
  const connection = connectAmqp({ role: 'publish', url: toAmqpUrl(options.rabbitmq), settings: options.rabbitmq, instanceId: identity.instanceId, logger });
  const queueType = options.rabbitmq.queueType ?? WorkerDefaults.rabbitMq.queueType;
  const publisher = createAmqpPublisher({ connection, identity, queueType, logger });
  // The relay retries in outbox order itself: its publisher must not retry on its own (that reorders).
  const relayPublisher = createAmqpPublisher({ connection, identity, queueType, logger, maxAttempts: 1 });
  const store = openOutboxStore({ directory: options.outbox.localStoragePath, report: (message) => logger.error(message) });
  const relay = createOutboxRelay({ store, channel: toMessageChannel(relayPublisher, connection), logger, persistent: true, maxBackoffMs: (options.outbox.syncIntervalSeconds ?? 30) * 1000 });
  // The registration reads this list each time it is sent: registerJob() adds to it.
  const jobs: RegisteredJob[] = [];
  const presence = createWorkerPresence({
    connection,
    publisher,
    identity,
    jobs,
    maxParallelJobs: 1,
    heartbeatIntervalMs: (options.heartbeatIntervalSeconds ?? WorkerDefaults.heartbeat.intervalSeconds) * 1000,
    currentJobs: () => 0,
    logger,
    version: packageVersion(),
    externalScheduler: options.source,
  });
  return { connection, publisher, relayPublisher, store, relay, presence, jobs };
}
