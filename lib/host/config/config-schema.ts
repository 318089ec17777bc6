// Valibot schemas for the .NET appsettings.json shape (`Worker`, `JobConsumers`) with its PascalCase keys. Values
// are coerced as .NET binding does (environment variables arrive as strings); messages say what was found.
import * as v from 'valibot';
import { toRedisTarget } from '../../control/redis/to-redis-target.js';
import { redactSecrets } from './redact-config.js';
import { expecting, flag, freeText, nonBlankText, oneOf, port, positiveNumber, section, show, toStringish, wholeNumber } from './config-fields.js';
import { brokerList } from './broker-list.js';

const redisProblem = (s: string): string | undefined =>
  s.trim() === '' ? undefined : toRedisTarget({ connectionString: s }).match(() => undefined, (e) => e);
const redactedShow = (input: unknown) => (typeof input === 'string' ? show(redactSecrets(input)) : show(input));

/** `Worker:RabbitMQ`. */
export const RabbitMqSection = section('RabbitMQ', {
  // One host, or several of a cluster separated by commas (each `host` or `host:port`), as Hosts takes them.
  Host: brokerList(),
  Hosts: brokerList(),
  Port: port(),
  Username: freeText(),
  Password: freeText(() => 'a value that is not text'),
  VirtualHost: freeText(),
  Url: v.optional(
    v.pipe(
      v.unknown(),
      v.transform(toStringish),
      v.string(expecting('an amqp:// or amqps:// URL', redactedShow)),
      v.check((s) => s.trim() === '' || (/^amqps?:\/\//i.test(s.trim()) && URL.canParse(s.trim())), expecting('an amqp:// or amqps:// URL', redactedShow)),
    ),
  ),
  Ssl: flag(),
  QueueType: oneOf(['Classic', 'Quorum']),
  PersistentStatusMessages: flag(),
  ConsumerTimeoutSeconds: wholeNumber(1),
  LogBatching: flag(),
  // The .NET SDK binds it but replaces it with each JobConsumers:<Job>:RoutingPattern; accepted, and noted.
  RoutingKeyPattern: freeText(),
});

/** `Worker:Redis`: a StackExchange connection string (`host:port,password=…`) or a `redis://` URL. */
export const RedisSection = section('Redis', {
  ConnectionString: v.optional(
    v.pipe(
      v.unknown(),
      v.transform(toStringish),
      v.string(expecting('a Redis connection string', redactedShow)),
      v.check(
        (s) => redisProblem(s) === undefined,
        (issue) => `expected a Redis connection string (host:port,host2:port,password=… or redis://…), found ${redactedShow(issue.input)}: ${redisProblem(String(issue.input))}`,
      ),
    ),
  ),
  Password: freeText(() => 'a value that is not text'),
  Database: wholeNumber(0),
  CancellationChannel: nonBlankText('a channel name'),
});

/** `Worker:Heartbeat`. */
const HeartbeatSection = section('Heartbeat', {
  Enabled: flag(),
  // The scheduler forgets an instance whose key has not been refreshed for 120 s (protocol §5).
  IntervalSeconds: wholeNumber(1, 119, ' (the scheduler forgets a worker after 120 s without a heartbeat)'),
  JobHeartbeatIntervalSeconds: wholeNumber(1),
});

/** `Worker:OfflineResilience` (the outbox), with this runtime's bounds. */
const OfflineResilienceSection = section('OfflineResilience', {
  Enabled: flag(),
  LocalStoragePath: nonBlankText('a directory path'),
  SyncIntervalSeconds: wholeNumber(1),
  MaxSyncRetries: wholeNumber(0),
  CleanupIntervalHours: wholeNumber(1),
  RecordRetentionDays: wholeNumber(1),
  MaxPendingEntries: wholeNumber(1),
  MaxPendingBytes: wholeNumber(1),
  MaxPendingAgeSeconds: wholeNumber(1),
  // Unset: 5 % and 20 % of the disk (at most 64 MiB and 1 GiB); 0 turns each off.
  DiskSpaceReserveBytes: wholeNumber(0),
  DiskSpaceWarningBytes: wholeNumber(0),
  CoalesceStatuses: flag(),
});

/** `Worker:HealthCheck`: probe files and an optional HTTP endpoint. */
const HealthCheckSection = section('HealthCheck', {
  Enabled: flag(),
  LiveFilePath: nonBlankText('a file path'),
  ReadyFilePath: nonBlankText('a file path'),
  IntervalSeconds: wholeNumber(1),
  HttpHost: nonBlankText('a host name or address'),
  HttpPort: port(),
  // Not live once connected this long without a heartbeat getting through; 0 turns the rule off.
  MaxHeartbeatSilenceSeconds: wholeNumber(0),
});

/** `Worker:ExternalScheduler` (the .NET SDK's MilvaionExternalSchedulerOptions): jobs another scheduler runs. */
const ExternalSchedulerSection = section('ExternalScheduler', {
  // Hangfire, Quartz, BullMQ…: the name the dashboard shows; blank means unset, as in .NET.
  Source: freeText(),
});

/** The `Worker` section. */
export const WorkerSection = section('Worker', {
  // The scheduler builds Redis keys as `workers:{WorkerId}:…` and splits them on ':'.
  WorkerId: nonBlankText('a non-empty name without ":" or whitespace', (s) => !/[\s:]/.test(s)),
  MaxParallelJobs: wholeNumber(1),
  ExecutionTimeoutSeconds: wholeNumber(1),
  ShutdownTimeoutSeconds: wholeNumber(0),
  // Job messages larger than this are dead-lettered unread (jobData included).
  MaxMessageBytes: wholeNumber(1024),
  // Redeliveries after a crash that still run (0: off); the next is dead-lettered. Below RabbitMQ 4's quorum delivery limit (20).
  MaxCrashRedeliveries: wholeNumber(0, 19, ' (0 turns it off)'),
  // With Redis: the processes of a WorkerId share finished occurrences and crash counts.
  SharedOccurrenceRecords: flag(),
  LogLevel: oneOf(['silent', 'error', 'warn', 'info', 'debug', 'trace'], {
    none: 'silent',
    critical: 'error',
    warning: 'warn',
    information: 'info',
  }),
  LogFormat: oneOf(['text', 'json']), // json lines (collectors) or timestamped text; default json off a TTY
  // Milvaion 10.1's key: RabbitMQ (and Redis when set) must connect within this at start, else exit 1.
  StartupConnectionTimeoutSeconds: wholeNumber(1),
  RabbitMQ: v.optional(RabbitMqSection),
  Redis: v.optional(RedisSection),
  Heartbeat: v.optional(HeartbeatSection),
  OfflineResilience: v.optional(OfflineResilienceSection),
  HealthCheck: v.optional(HealthCheckSection),
  ExternalScheduler: v.optional(ExternalSchedulerSection),
});

/** `JobConsumers:{JobName}:RateLimit`: at most Count starts per PeriodSeconds. */
const RateLimitSection = v.pipe(
  section('RateLimit', {
    Count: wholeNumber(1),
    PeriodSeconds: positiveNumber(),
    Scope: oneOf(['Process', 'Shared']),
    // A dot path into the job's data: each value has its own limit.
    KeyPath: nonBlankText('a dot path into the job data, such as tenantId or customer.id'),
    MaxKeys: wholeNumber(1),
  }),
  v.check((limit) => limit.Count !== undefined && limit.PeriodSeconds !== undefined, 'a rate limit needs both Count and PeriodSeconds'),
);

/** One `JobConsumers:{JobName}` entry. */
export const JobConsumerSection = section('job consumer', {
  ConsumerId: nonBlankText('a non-empty consumer id'),
  RoutingPattern: nonBlankText('a routing pattern'),
  // 0 means "the worker's MaxParallelJobs", as in the .NET SDK, so .NET files load unchanged.
  MaxParallelJobs: wholeNumber(0),
  // 0 means no timeout, as in the .NET SDK.
  ExecutionTimeoutSeconds: wholeNumber(0),
  // Runs this job under another logical worker (several WorkerIds in one process).
  WorkerId: nonBlankText('a non-empty name without ":" or whitespace', (s) => !/[\s:]/.test(s)),
  MaxRetries: wholeNumber(0),
  BaseRetryDelaySeconds: wholeNumber(0),
  LogUserFriendlyLogsViaLogger: flag(),
  RateLimit: v.optional(RateLimitSection),
  // At most this many running at once across every process of the WorkerId, retries included; 0: none.
  MaxParallelJobsGlobal: wholeNumber(0),
  // Upstream's samples carry it, but neither the .NET SDK nor the scheduler reads it: accepted, and noted.
  MaxParallelJobsPerWorker: v.optional(v.unknown()),
});

/** The parts of an appsettings.json this runtime reads; every other top-level section is stripped. */
export const ConfigSchema = v.pipe(
  v.object({
    Worker: v.optional(WorkerSection),
    JobConsumers: v.optional(v.record(v.string(), JobConsumerSection, expecting('the JobConsumers section (an object keyed by job name)'))),
  }),
  // A limit shared through Redis needs one: said at start, not at the first job.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { Worker, JobConsumers } = dataset.value;
    if ((Worker?.Redis?.ConnectionString ?? '').trim() !== '') return;
    const at = (...keys: string[]) => keys.map((key) => ({ type: 'object', origin: 'value', input: {}, key, value: undefined })) as unknown as [v.IssuePathItem];
    for (const [job, consumer] of Object.entries(JobConsumers ?? {})) {
      if (consumer.RateLimit?.Scope === 'Shared') {
        addIssue({ message: 'a limit shared by every process of the worker needs Redis: set Worker:Redis:ConnectionString, or use Scope Process', path: at('JobConsumers', job, 'RateLimit', 'Scope') });
      }
      if ((consumer.MaxParallelJobsGlobal ?? 0) > 0) {
        addIssue({ message: 'a cap across the processes of the worker needs Redis: set Worker:Redis:ConnectionString', path: at('JobConsumers', job, 'MaxParallelJobsGlobal') });
      }
    }
  }),
);

/** A validated appsettings object, PascalCase keys, nothing defaulted yet. */
export type AppSettings = v.InferOutput<typeof ConfigSchema>;

interface SchemaNode {
  readonly type: string;
  readonly wrapped?: SchemaNode;
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly value?: SchemaNode;
}

/** Maps a key path in any casing to the schema's PascalCase keys; job names and unknown keys keep their spelling. */
export function toCanonicalPath(segments: readonly string[]): string[] {
  let node: SchemaNode | undefined = ConfigSchema as unknown as SchemaNode;
  return segments.map((segment) => {
    while (node?.wrapped) node = node.wrapped;
    if (node?.type === 'record') {
      node = node.value;
      return segment;
    }
    const entries: Readonly<Record<string, SchemaNode>> = node?.entries ?? {};
    const key = Object.keys(entries).find((k) => k.toLowerCase() === segment.toLowerCase());
    node = key === undefined ? undefined : entries[key];
    return key ?? segment;
  });
}
