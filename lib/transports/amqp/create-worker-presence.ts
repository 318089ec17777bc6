// Worker presence: registration on start and after every reconnect (and periodically, so a scheduler that
// lost its Redis state sees the worker again), heartbeats on an interval and right after a job starts or
// ends (debounced), and a last heartbeat with IsStopping on shutdown. It also knows since when nothing of it
// has got through while connected (silentSince): the fact the liveness probe reads.
import os from 'node:os';
import type { Connection } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../core/vocabulary/types.js';
import type { AmqpPublisher } from './create-amqp-publisher.js';
import { MilvaionNames } from './milvaion-names.js';
import { processUsageMeter } from '../../process/process-usage-meter.js';
import { toHeartbeatMessage, toRegistrationMessage, type HostFacts, type RegisteredJob } from './to-presence-messages.js';
import type { WorkerIdentity } from './to-milvaion-messages.js';

/** Options of {@link createWorkerPresence}. */
export interface WorkerPresenceOptions {
  readonly connection: Connection;
  readonly publisher: AmqpPublisher;
  readonly identity: WorkerIdentity;
  readonly jobs: readonly RegisteredJob[];
  readonly maxParallelJobs: number;
  readonly heartbeatIntervalMs: number;
  /** Re-register every this many heartbeats (0: only on start and reconnect). */
  readonly reregisterEvery?: number;
  /** The number of jobs running now, for each heartbeat. */
  readonly currentJobs: () => number;
  readonly logger: TechnicalLogger;
  readonly version: string;
  /** The external scheduler this process reports for (Metadata.IsExternal, ExternalScheduler); unset for a worker. */
  readonly externalScheduler?: string | undefined;
}

/** Registration and heartbeats of one logical worker. */
export interface WorkerPresence {
  /** Sends the registration and a first heartbeat, then heartbeats on an interval. */
  start(): Promise<void>;
  /** Call when a job starts or ends: sends a heartbeat at most once a second. */
  jobsChanged(): void;
  /** Sends the registration again now (after the registered job list changed). */
  register(): Promise<void>;
  /** Stops the timers and sends the IsStopping heartbeat (unless `goodbye` is false: the broker is away). */
  stop(options?: { goodbye?: boolean }): Promise<void>;
  /**
   * Since when (epoch ms) no registration or heartbeat has got through while the publish connection was up: the
   * last confirmed one, or the last (re)connect if later. Undefined before `start()`, after `stop()`, and while
   * the publish connection is down (readiness reports that).
   */
  silentSince(): number | undefined;
}

/** The host facts of this process. */
function hostFacts(version: string): HostFacts {
  const ipv4 = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
  return {
    hostName: os.hostname(),
    ipAddress: ipv4?.address ?? 'Unknown',
    processorCount: os.availableParallelism(),
    osVersion: `${os.type()} ${os.release()}`,
    runtimeVersion: `Node.js ${process.version}`,
    version,
  };
}

/** Creates the presence of a worker; nothing is sent before `start()`. */
export function createWorkerPresence(options: WorkerPresenceOptions): WorkerPresence {
  const { publisher, identity, logger } = options;
  const facts = hostFacts(options.version);
  const reregisterEvery = options.reregisterEvery ?? 10;
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let lastHeartbeat = 0;
  let beats = 0;
  let started = false;
  let stopped = false;
  // When the last registration or heartbeat was confirmed, and when the publish connection last came up. A
  // connection the broker blocks is still up (rabbitmq-client counts it as not `ready`: it corks the socket).
  let sentAt = 0;
  let connectedAt = 0;
  let blocked = false;
  const onBlocked = () => void (blocked = true);
  const onUnblocked = () => void (blocked = false);
  // cgroup-aware (a container's memory and its share of the CPU quota), else this process's RSS and CPU.
  const usage = processUsageMeter({ processorCount: facts.processorCount });

  const send = async (what: 'registration' | 'heartbeat', message: unknown, queue: string) => {
    try {
      await publisher.publishJson(queue, message, { durable: false });
      sentAt = Date.now();
    } catch (error) {
      if (!stopped) logger.warn(`Could not send the worker ${what}; it is sent again with the next one`, error);
    }
  };

  const register = () => send('registration', toRegistration(options, facts), MilvaionNames.workerRegistrationQueue);
  const heartbeat = (isStopping = false) => {
    lastHeartbeat = Date.now();
    const { memoryBytes, cpuUsagePercent } = usage();
    const message = toHeartbeatMessage(identity, {
      currentJobs: isStopping ? 0 : options.currentJobs(),
      isStopping,
      memoryBytes,
      cpuUsagePercent,
      now: lastHeartbeat,
    });
    return send('heartbeat', message, MilvaionNames.workerHeartbeatQueue);
  };

  // Registration is an idempotent overwrite; release 10.0.11 resets currentJobs with it, so a heartbeat follows,
  // unless the stop came while the registration was on its way: nothing may follow the IsStopping heartbeat.
  const registerAndBeat = () => register().then(() => (stopped ? undefined : heartbeat()));
  const onConnection = () => {
    connectedAt = Date.now();
    blocked = false;
    if (!stopped) void registerAndBeat();
  };

  return {
    async start() {
      started = true;
      connectedAt = Date.now();
      options.connection.on('connection', onConnection);
      options.connection.on('connection.blocked', onBlocked);
      options.connection.on('connection.unblocked', onUnblocked);
      options.connection.on('error', onUnblocked); // a lost connection is not blocked any more
      await register();
      await heartbeat();
      timer = setInterval(() => {
        if (reregisterEvery > 0 && ++beats % reregisterEvery === 0) void registerAndBeat();
        else void heartbeat();
      }, options.heartbeatIntervalMs);
      timer.unref();
    },
    register: () => (stopped ? Promise.resolve() : register()),
    jobsChanged() {
      if (stopped || debounce !== undefined) return;
      const wait = Math.max(0, 1000 - (Date.now() - lastHeartbeat));
      debounce = setTimeout(() => {
        debounce = undefined;
        void heartbeat();
      }, wait);
      debounce.unref();
    },
    async stop(opts = {}) {
      if (stopped) return;
      stopped = true;
      options.connection.off('connection', onConnection);
      options.connection.off('connection.blocked', onBlocked);
      options.connection.off('connection.unblocked', onUnblocked);
      options.connection.off('error', onUnblocked);
      clearInterval(timer);
      clearTimeout(debounce);
      if (opts.goodbye !== false) await heartbeat(true);
    },
    // Time blocked by the broker counts: a worker cannot tell a long alarm from a connection left blocked.
    silentSince: () => (started && !stopped && (options.connection.ready || blocked) ? Math.max(sentAt, connectedAt) : undefined),
  };
}

/** The registration message of a worker with these options. */
function toRegistration(options: WorkerPresenceOptions, facts: HostFacts): Record<string, unknown> {
  return toRegistrationMessage(options.identity, options.jobs, facts, {
    maxParallelJobs: options.maxParallelJobs,
    heartbeatIntervalSeconds: options.heartbeatIntervalMs / 1000,
    externalScheduler: options.externalScheduler,
  });
}
