// What a worker's start and close work on: the pieces createAmqpWorker() wires, named once.
import type { Connection } from 'rabbitmq-client';
import type { Executor } from '../core/engine/create-executor.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import type { RedisCancellation } from '../control/redis/create-redis-cancellation.js';
import type { SharedOccurrenceRecords } from '../control/redis/create-shared-occurrences.js';
import type { LimitStores } from './create-worker-limits.js';
import type { JobLimits } from '../core/engine/create-job-limits.js';
import type { AmqpSource, ConsumedJob } from '../transports/amqp/create-amqp-source.js';
import type { WorkerPresence } from '../transports/amqp/create-worker-presence.js';
import type { Reporting } from './create-reporting.js';
import type { QueueType } from '../transports/amqp/create-amqp-publisher.js';
import type { StartupWatch } from './watch-startup.js';

/** The wired parts of one worker. */
export interface WorkerParts {
  readonly identity: { readonly workerId: string; readonly instanceId: string };
  readonly url: string;
  /** The brokers of `Worker:RabbitMQ:Hosts` (undefined for one). */
  readonly hosts: readonly string[] | undefined;
  /** The key `hosts` came from (`Hosts`, or a `Host` with commas), for startup messages. */
  readonly hostsKey: 'Hosts' | 'Host' | undefined;
  /** The settings gave a full `Url` (startup messages then name that key). */
  readonly fromUrl: boolean;
  /** Worker:StartupConnectionTimeoutSeconds in ms; 0 waits for the broker forever. */
  readonly startupTimeoutMs: number;
  readonly logger: TechnicalLogger;
  readonly connection: Connection;
  readonly publishConnection: Connection;
  /** `Worker:RabbitMQ:QueueType`: the arguments of every queue the worker declares. */
  readonly queueType: QueueType;
  readonly reporting: Reporting;
  readonly source: AmqpSource;
  readonly presence: WorkerPresence;
  readonly redis: RedisCancellation | undefined;
  /** The occurrence records every process of the WorkerId shares (Redis), when configured. */
  readonly shared: SharedOccurrenceRecords | undefined;
  /** The rate limits and slots every process of the WorkerId shares (Redis), when a job has one. */
  readonly rateLimits: LimitStores | undefined;
  /** The jobs' rate limits, when a job has one. */
  readonly limits: JobLimits | undefined;
  readonly jobs: readonly ConsumedJob[];
  readonly shutdown: AbortController;
  readonly executor: Executor;
  /** The watch of the start under way, told of channel errors the connections do not see. */
  startup: StartupWatch | undefined;
  /** Registered with the scheduler: only then does a stop send the IsStopping heartbeat. */
  registered: boolean;
}

/** What a stop left behind; all zero and false after a clean stop. */
export interface CloseReport {
  /** Jobs still running when the grace period ended: aborted, their deliveries go back to the queue. */
  readonly abortedJobs: number;
  /** Job functions that ignored their abort and had not returned when the worker closed. */
  readonly unsettledJobs: boolean;
  /** Outbox entries not sent: they stay in the store and are sent on the next start. */
  readonly outboxKept: number;
}
