/**
 * milvaion-worker/amqp: the worker on RabbitMQ and its options, and the serverless handler's RabbitMQ reporter
 * (kept out of the main entry so serverless bundles skip it).
 * @module milvaion-worker/amqp
 */
export { createAmqpWorker, type AmqpWorker, type AmqpWorkerOptions, type WorkerHealth } from './worker/create-amqp-worker.js';
export { StartupError } from './worker/startup-error.js';
export type { CloseOptions } from './worker/close-worker.js';
export type { CloseReport } from './worker/worker-parts.js';
export { jobQueueArguments } from './transports/amqp/create-amqp-source.js';
export type { QueueType } from './transports/amqp/create-amqp-publisher.js';
export { MilvaionNames, toJobQueueName, toRoutingPattern } from './transports/amqp/milvaion-names.js';
export { createHandlerReporter, type AmqpHandlerReporter, type HandlerReporterOptions } from './transports/amqp/create-handler-reporter.js';
export type { HandlerReporter, HandlerRun, HandlerSettlement, UnreadableMessage } from './core/vocabulary/handler-reporter.js';
export type { RabbitMqSettings } from './transports/amqp/to-amqp-url.js';
export type { Outbox, OutboxHealth, OutboxSettings } from './outbox/create-outbox.js';
export type { OutboxDiskHealth } from './outbox/create-disk-guard.js';
export type { RedisSettings } from './control/redis/parse-cancellation.js';
export type { RedisHealth } from './control/redis/create-redis-cancellation.js';
