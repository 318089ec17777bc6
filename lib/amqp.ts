/**
 * milvaion-worker/amqp: the RabbitMQ transport (kept out of the main entry so serverless bundles skip it).
 * @module milvaion-worker/amqp
 */
export { createAmqpWorker, newInstanceId, type AmqpWorker, type AmqpWorkerOptions, type WorkerHealth } from './worker/create-amqp-worker.js';
export { StartupError } from './worker/startup-error.js';
export type { CloseOptions } from './worker/close-worker.js';
export type { CloseReport } from './worker/worker-parts.js';
export { createAmqpPublisher, publisherTopology, queueTypeArguments, type AmqpPublisher, type AmqpPublisherOptions, type QueueType } from './transports/amqp/create-amqp-publisher.js';
export { createAmqpSource, jobQueueArguments, type AmqpSource, type AmqpSourceOptions, type ConsumedJob } from './transports/amqp/create-amqp-source.js';
export { createWorkerPresence, hostFacts, type WorkerPresence, type WorkerPresenceOptions } from './transports/amqp/create-worker-presence.js';
export { int32, installInt32Headers, type Int32Header } from './transports/amqp/int32-headers.js';
export { MilvaionNames, RETRY_QUEUE_PREFIX, toDispatchRoutingKey, toJobQueueName, toRetryQueueName, toRoutingPattern } from './transports/amqp/milvaion-names.js';
export { toDlqMessage, toLogMessage, toRepublishHeaders, toStatusMessage, type WorkerIdentity } from './transports/amqp/to-milvaion-messages.js';
export { toHeartbeatMessage, toJobDataDefinition, toJobResultDefinition, toRegistrationMessage, type HostFacts, type RegisteredJob } from './transports/amqp/to-presence-messages.js';
export { redactUrl, toAmqpUrl, type RabbitMqSettings } from './transports/amqp/to-amqp-url.js';
export { createJobConsumer, type ClaimedOccurrence, type Flight, type JobConsumer, type JobConsumerOptions } from './transports/amqp/create-job-consumer.js';
export type { Settlement } from './core/delivery-fate.js';
export { createHandlerReporter, type AmqpHandlerReporter, type HandlerReporterOptions } from './transports/amqp/create-handler-reporter.js';
export { createRedisCancellation, DEFAULT_CANCELLATION_CHANNEL, type RedisCancellation, type RedisCancellationOptions, type RedisHealth } from './control/redis/create-redis-cancellation.js';
export { parseCancellation, toRedisTarget, type CancellationRequest, type RedisSettings, type RedisTarget } from './control/redis/parse-cancellation.js';
export { createOutbox, type Outbox, type OutboxHealth, type OutboxSettings } from './outbox/create-outbox.js';
