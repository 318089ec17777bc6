// milvaion-worker's public entry: defineJob, the pipeline and its middleware, the embedded transport and
// the serverless handler. It loads no broker, store or Redis client (those live in subpath exports).
export { defineJob, isJobDefinition, type DefineJobOptions } from './define-job.ts';
export { defineSetup, isWorkerSetup, type WorkerSetup } from './define-setup.ts';
export { PermanentJobError, isPermanentError } from './core/permanent-job-error.ts';
export { formatException } from './core/format-exception.ts';
export { compose, type Terminal } from './core/compose.ts';
export { runJob } from './core/run-job.ts';
export { createExecutor, type Executor, type ExecutorOptions } from './core/create-executor.ts';
export { createCancellationRegistry } from './core/create-cancellation-registry.ts';
export { createAbortHandle } from './core/create-abort-handle.ts';
export { createFinishedOccurrences } from './core/create-finished-occurrences.ts';
export { createServiceContainer } from './core/create-service-container.ts';
export { parseJobData, parseJsonSafely } from './core/parse-job-data.ts';
export { parseJobMessage, type RawJobMessage } from './core/parse-job-message.ts';
export { resolveSettings, JOB_SETTING_DEFAULTS } from './core/resolve-settings.ts';
export { toStatusRecord, toFinalFields, toResultString, isFinal, InvalidJobDataError } from './core/to-status-record.ts';
export { LogCategory } from './core/create-job-logger.ts';
export { createLogger, silentLogger } from './create-logger.ts';
export { logging, LoggingOptions } from './middleware/logging.ts';
export { filter, FilterOptions, type JobFilter, type FilterDecision } from './middleware/filter.ts';
export { cancellation, CancellationOptions } from './middleware/cancellation.ts';
export { retry, retryDelay, RetryOptions } from './middleware/retry.ts';
export { timeout, TimeoutOptions } from './middleware/timeout.ts';
export { defaultMiddleware, type DefaultMiddlewareOptions } from './middleware/default-middleware.ts';
export { createMemorySink, type MemorySink } from './transports/memory/create-memory-sink.ts';
export {
  createEmbeddedWorker,
  type EmbeddedWorker,
  type EmbeddedWorkerOptions,
  type EnqueueOptions,
  type PipelineParts,
} from './transports/memory/create-embedded-worker.ts';
export { createHandler, type HandlerEvent, type HandlerOptions, type HandlerResult } from './serverless/create-handler.ts';
export { asClass, asFunction, asValue, type AwilixContainer } from 'awilix';
export {
  JobStatus,
  JobAbortError,
  type AbortHandle,
  type AbortSource,
  type FinishedOccurrences,
  type AnyJobDefinition,
  type CancellationRegistry,
  type Clock,
  type Completed,
  type ExecutionContext,
  type JobContext,
  type JobDefaults,
  type JobDefinition,
  type JobEnvelope,
  type JobFailure,
  type JobLogger,
  type JobSettings,
  type LogData,
  type LogLevel,
  type LogRecord,
  type Middleware,
  type Next,
  type Outcome,
  type RetryPredicate,
  type RuntimeLogger,
  type Services,
  type Sink,
  type SinkRecord,
  type StatusRecord,
  type TechnicalLogger,
} from './core/types.ts';
