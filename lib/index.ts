/**
 * milvaion-worker's public entry: defineJob, defineSetup, the middleware, the embedded worker, the outcome helpers
 * and the types a job or middleware author needs. It loads no broker, store or Redis client (those live in subpath
 * exports; the serverless handler is milvaion-worker/serverless).
 * @module milvaion-worker
 */
export { defineJob, type DataOf, type DefineJobOptions, type InputOf, type ReturnOf } from './define-job.js';
export { defineSetup, type WorkerSetup } from './define-setup.js';
export { createLogger, type CreateLoggerOptions } from './create-logger.js';
export { PermanentJobError } from './core/vocabulary/permanent-job-error.js';
export { JobAbortError, type AbortSource } from './core/vocabulary/job-abort-error.js';
export { createServiceContainer } from './core/engine/create-service-container.js';
export { logging, LoggingOptions } from './middleware/logging.js';
export { filter, type JobFilter, type FilterDecision } from './middleware/filter.js';
export { cancellation, CancellationOptions } from './middleware/cancellation.js';
export { retry, RetryOptions } from './middleware/retry.js';
export { timeout, TimeoutOptions } from './middleware/timeout.js';
export { defaultMiddleware, type DefaultMiddlewareOptions } from './middleware/default-middleware.js';
export { createEmbeddedWorker, type EmbeddedWorker, type EmbeddedWorkerOptions, type EnqueueOptions } from './transports/memory/create-embedded-worker.js';
export type { MemorySink } from './transports/memory/create-memory-sink.js';
export { JobStatus, type AnyJobDefinition, type ExecutionContext, type JobContext, type JobDefaults, type JobDefinition, type JobEnvelope, type JobSettings, type Logger, type LogData, type LogLevel, type Middleware, type Next, type RateLimit, type Services } from './core/vocabulary/types.js';
export type { StatusRecord, LogRecord } from './core/vocabulary/ports.js';
export type { RawJobMessage } from './core/engine/parse-job-message.js';
export type { Completion, JobFailure, NotCompleted, Outcome } from './core/vocabulary/outcome.js';
export { completed, skipped, failed } from './core/vocabulary/outcomes.js';
export type { DataArgs, JobInput, JobInputByName, JobName } from './core/vocabulary/job-input.js';
