/**
 * milvaion-worker's public entry: defineJob, the pipeline and its middleware, the embedded transport and
 * the serverless handler. It loads no broker, store or Redis client (those live in subpath exports).
 * @module milvaion-worker
 */
export { defineJob, isJobDefinition, type DefineJobOptions } from './define-job.js';
export { defineSetup, isWorkerSetup, type WorkerSetup } from './define-setup.js';
export { PermanentJobError, isPermanentError } from './core/permanent-job-error.js';
export { formatException } from './core/format-exception.js';
export { compose, type Terminal } from './core/compose.js';
export { runJob } from './core/run-job.js';
export { createExecutor, type Executor, type ExecutorOptions } from './core/create-executor.js';
export { createCancellationRegistry } from './core/create-cancellation-registry.js';
export { createAbortHandle } from './core/create-abort-handle.js';
export { createFinishedOccurrences } from './core/create-finished-occurrences.js';
export { createServiceContainer } from './core/create-service-container.js';
export { parseJobData, parseJsonSafely } from './core/parse-job-data.js';
export { parseJobResult } from './core/parse-job-result.js';
export { parseJobMessage, type RawJobMessage } from './core/parse-job-message.js';
export { resolveSettings, JOB_SETTING_DEFAULTS } from './core/resolve-settings.js';
export { toStatusRecord } from './core/to-status-record.js';
export { toResultString } from './core/to-result-string.js';
export { InvalidJobDataError } from './core/invalid-job-data-error.js';
export { InvalidJobResultError } from './core/invalid-job-result-error.js';
export { LogCategory } from './core/create-job-logger.js';
export { createLogger, silentLogger, logWith, withLogFields, type CreateLoggerOptions, type LogFields, type LogFormat } from './create-logger.js';
export type { TechnicalLevel } from './core/log-fields.js';
export type { LineStream } from './logging/to-log-entry.js';
export { logging, LoggingOptions } from './middleware/logging.js';
export { filter, FilterOptions, type JobFilter, type FilterDecision } from './middleware/filter.js';
export { cancellation, CancellationOptions } from './middleware/cancellation.js';
export { retry, retryDelay, RetryOptions } from './middleware/retry.js';
export { timeout, TimeoutOptions } from './middleware/timeout.js';
export { defaultMiddleware, type DefaultMiddlewareOptions } from './middleware/default-middleware.js';
export { createMemorySink, type MemorySink } from './transports/memory/create-memory-sink.js';
export {
  createEmbeddedWorker,
  type EmbeddedWorker,
  type EmbeddedWorkerOptions,
  type EnqueueOptions,
  type PipelineParts,
} from './transports/memory/create-embedded-worker.js';
export { createHandler, type AmazonMqResult, type Handler, type HandlerInvocation, type HandlerOptions, type HandlerOutput, type HandlerResult } from './serverless/create-handler.js';
export type { AmazonMqBasicProperties, AmazonMqEvent, AmazonMqMessage, HandlerEvent, JobMessageEvent } from './serverless/handler-event.js';
export type { HandlerReporter, HandlerRun, HandlerSettlement, UnreadableMessage } from './core/handler-reporter.js';
export { asClass, asFunction, asValue, type AwilixContainer } from 'awilix';
export { JobStatus, type AnyJobDefinition, type ExecutionContext, type JobContext, type JobDefaults, type JobDefinition, type JobEnvelope, type JobLogger, type JobSettings, type LogData, type LogLevel, type Middleware, type Next, type RetryPredicate, type RuntimeLogger, type Services, type TechnicalLogger } from './core/types.js';
export { JobAbortError, type AbortHandle, type AbortSource } from './core/job-abort-error.js';
export type { CancellationRegistry, Clock, DeadLetterReason, FinishedOccurrences, LogRecord, MessageChannel, OutgoingMessage, Sink, SinkRecord, StatusRecord, ToWireMessage, WorkerTelemetry } from './core/ports.js';
export type { Completed, Completion, DeferredRetry, JobFailure, NotCompleted, Outcome, Skipped } from './core/outcome.js';
export type { DataArgs, JobInput, JobInputByName, JobName } from './core/job-input.js';
export { completed, skipped, failed, type FailedOptions } from './core/outcomes.js';
