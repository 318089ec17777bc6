// The soak: a worker started through the CLI (a child process) runs a job mix dispatched by the
// scheduler-side client while faults are injected: AMQP and Redis connections cut through TCP proxies,
// SIGKILL and SIGTERM with restarts, the broker's memory alarm. At the end the invariants are checked
// and the counts printed. `npm run soak -- --minutes N`; the spec runs a short form.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { createClient } from 'redis';
import { JobStatus } from '../../lib/index.ts';
import { createSchedulerClient, FINAL_STATUSES, type CollectedMessage, type StatusBody } from '../../lib/scheduler-client/index.ts';
import { AMQP_URL, createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { createTcpProxy } from '../support/tcp-proxy.ts';
import { TSX_IMPORT } from '../support/tsx-loader.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The CLI from source: tsx loads it (a deployment runs the compiled dist/host/cli-entry.js; spec/package checks that).
const ENTRY = path.join(ROOT, 'lib/host/cli/cli-entry.ts');
const JOBS = path.join(ROOT, 'spec/soak/soak-jobs.ts');
const JOB_NAMES = ['FastJob', 'SlowJob', 'FlakyJob', 'BrokenJob', 'CancelMeJob', 'SleepyJob'] as const;
/** What each job must end as (CancelMeJob may time out when its cancel fell into a Redis outage). */
const EXPECTED: Record<string, readonly number[]> = {
  FastJob: [JobStatus.Completed],
  SlowJob: [JobStatus.Completed],
  FlakyJob: [JobStatus.Completed],
  BrokenJob: [JobStatus.Failed],
  CancelMeJob: [JobStatus.Cancelled, JobStatus.TimedOut],
  SleepyJob: [JobStatus.TimedOut],
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a soak run found. */
export interface SoakResult {
  readonly seconds: number;
  readonly dispatched: number;
  readonly faults: Record<string, number>;
  readonly finals: number;
  readonly duplicateMessages: number;
  readonly occurrencesWithSeveralFinals: number;
  readonly extraRuns: number;
  readonly deadLetters: number;
  /** DLQ messages beyond one per permanently failing occurrence (a crash between the DLQ publish and the ack). */
  readonly duplicateDeadLetters: number;
  readonly lost: number;
  readonly lostLogs: number;
  readonly outboxLeft: number;
  readonly maxRssMb: number;
  readonly violations: readonly string[];
}

/** Runs the soak for `seconds`, dispatching about `rate` jobs a second; `log` gets progress lines. */
export async function runSoak(options: { seconds: number; rate?: number; log?: (line: string) => void }): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const rate = options.rate ?? 30;
  const vhost = createVhost(`soak-${process.pid}-${Date.now() % 100000}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'soak-'));
  const amqpProxy = await createTcpProxy({ targetPort: 5672 });
  const redisProxy = await createTcpProxy({ targetPort: 6379 });
  const scheduler = await createSchedulerClient({ url: `${AMQP_URL}/${vhost}` });
  const redis = createClient({ url: 'redis://127.0.0.1:6379' });
  redis.on('error', () => undefined);
  await redis.connect();
  const channel = `soak:${vhost}:cancellation_channel`;
  const workerId = 'soak-worker';
  const outboxDir = path.join(dir, 'outbox');
  const config = path.join(dir, 'appsettings.json');
  writeFileSync(config, JSON.stringify({
    Worker: {
      WorkerId: workerId,
      LogLevel: 'warn',
      ShutdownTimeoutSeconds: 2,
      RabbitMQ: { Host: '127.0.0.1', Port: amqpProxy.port, VirtualHost: vhost },
      Redis: { ConnectionString: `127.0.0.1:${redisProxy.port}`, CancellationChannel: channel },
      Heartbeat: { IntervalSeconds: 1, JobHeartbeatIntervalSeconds: 1 },
      OfflineResilience: { LocalStoragePath: outboxDir, SyncIntervalSeconds: 1 },
    },
  }));
  const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
  let child: ChildProcess | undefined;
  let childLog = '';
  let maxRss = 0;
  const start = () => {
    child = spawn(process.execPath, [...TSX_IMPORT, ENTRY, 'run', '--config', config, JOBS], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => (childLog += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (childLog += b.toString()));
  };
  const exited = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())));
  const rssTimer = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child?.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      maxRss = Math.max(maxRss, kb / 1024);
    } catch {
      // between a kill and a restart
    }
  }, 500);

  const faults: Record<string, number> = { amqpCut: 0, redisCut: 0, sigkill: 0, sigterm: 0, memoryAlarm: 0 };
  const kinds = new Map<string, string>();
  const cancelAfter = new Map<string, number>();
  const violations: string[] = [];
  const t0 = Date.now();
  try {
    start();
    await scheduler.waitUntil(() => scheduler.registrations(workerId).length > 0, { what: 'the worker to register', timeoutMs: 60_000 });
    log(`soak: worker up, running ${options.seconds} s at ~${rate} jobs/s`);
    const watermark = execFileSync('rabbitmqctl', ['-q', 'eval', 'vm_memory_monitor:get_vm_memory_high_watermark().'], { encoding: 'utf8' }).trim();
    const schedule = [
      async () => {
        faults['amqpCut']!++;
        amqpProxy.cut();
        await sleep(1500);
        amqpProxy.restore();
      },
      async () => {
        faults['redisCut']!++;
        redisProxy.cut();
        await sleep(1500);
        redisProxy.restore();
      },
      async () => {
        faults['sigkill']!++;
        const c = child!;
        c.kill('SIGKILL');
        await exited(c);
        await sleep(300);
        start();
      },
      async () => {
        // The memory alarm blocks publishers broker-wide; restored to the value read at start.
        if (!/^[0-9.]+$/.test(watermark)) return;
        faults['memoryAlarm']!++;
        execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', '0']);
        await sleep(1500);
        execFileSync('rabbitmqctl', ['-q', 'set_vm_memory_high_watermark', watermark]);
      },
      async () => {
        faults['sigterm']!++;
        const c = child!;
        c.kill('SIGTERM');
        await exited(c);
        start();
      },
    ];
    let nextFault = Date.now() + 3000;
    let faultIndex = 0;
    let faultRunning: Promise<void> | undefined;
    const end = t0 + options.seconds * 1000;
    let i = 0;
    while (Date.now() < end) {
      const jobName = JOB_NAMES[i++ % JOB_NAMES.length]!;
      const occurrenceId = randomUUID();
      kinds.set(occurrenceId, jobName);
      if (jobName === 'CancelMeJob') cancelAfter.set(occurrenceId, Date.now() + 500);
      await scheduler.dispatch({ jobName, workerId, occurrenceId }).catch(() => kinds.delete(occurrenceId));
      for (const [occ, at] of cancelAfter) {
        if (Date.now() >= at) {
          await redis.publish(channel, JSON.stringify({ CorrelationId: occ, OccurrenceId: occ, Reason: 'soak cancel' }));
          cancelAfter.set(occ, Date.now() + 2000); // again until it is final: a cancel can fall into an outage
        }
        if (scheduler.statuses(occ).some((s) => isFinal(s))) cancelAfter.delete(occ);
      }
      if (faultRunning === undefined && Date.now() >= nextFault) {
        const fault = schedule[faultIndex++ % schedule.length]!;
        faultRunning = fault().finally(() => {
          faultRunning = undefined;
          nextFault = Date.now() + 3000;
        });
      }
      await sleep(1000 / rate);
    }
    await faultRunning;
    log(`soak: dispatched ${kinds.size}, waiting for every final status`);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && [...kinds.keys()].some((occ) => !scheduler.statuses(occ).some(isFinal))) {
      for (const [occ] of cancelAfter) {
        if (scheduler.statuses(occ).some(isFinal)) cancelAfter.delete(occ);
        else await redis.publish(channel, JSON.stringify({ CorrelationId: occ, Reason: 'soak cancel' }));
      }
      await sleep(500);
    }
    // A graceful stop drains the outbox; then nothing may be left in it.
    const c = child!;
    c.kill('SIGTERM');
    await exited(c);
    await sleep(500);

    // Invariants, after de-duplicating by message id (a crash between publish and removal resends).
    const all = scheduler.statuses();
    const ids = new Set<string>();
    let duplicateMessages = 0;
    const unique: CollectedMessage<StatusBody>[] = [];
    for (const m of [...all, ...scheduler.logs()]) {
      const id = String(m.properties.messageId);
      if (ids.has(id)) duplicateMessages++;
      else {
        ids.add(id);
        if (m.queue === scheduler.names.statuses) unique.push(m as CollectedMessage<StatusBody>);
      }
    }
    let lost = 0;
    let several = 0;
    let extraRuns = 0;
    let finals = 0;
    let lostLogs = 0;
    for (const [occ, kind] of kinds) {
      const mine = unique.filter((m) => m.body?.OccurrenceId === occ);
      const ends = mine.filter(isFinal);
      if (ends.length === 0) {
        lost++;
        violations.push(`${kind} ${occ}: no final status`);
        continue;
      }
      finals++;
      if (ends.length > 1) {
        several++;
        extraRuns += ends.length - 1;
      }
      const status = ends[0]!.body!.Status!;
      if (!EXPECTED[kind]!.includes(status)) violations.push(`${kind} ${occ}: final status ${status}, expected ${EXPECTED[kind]!.join(' or ')}`);
      if (kind === 'FlakyJob' && scheduler.deadLetters(occ).length > 0) violations.push(`FlakyJob ${occ} was dead-lettered`);
      if (kind === 'BrokenJob' && scheduler.deadLetters(occ).length === 0) violations.push(`BrokenJob ${occ} has no DLQ message`);
      if (kind === 'FastJob' && status === JobStatus.Completed) {
        const logs = new Set(scheduler.logs(occ).map((l) => String((l.body?.Log as Record<string, unknown> | undefined)?.['Message'])));
        if (!logs.has('fast start') || !logs.has('fast done')) {
          lostLogs++;
          violations.push(`FastJob ${occ}: a log line is missing`);
        }
      }
    }
    const brokenCount = [...kinds.values()].filter((k) => k === 'BrokenJob').length;
    const deadByOccurrence = new Set(scheduler.deadLetters().map((d) => String(d.headers['CorrelationId'])));
    if (deadByOccurrence.size !== brokenCount) violations.push(`${deadByOccurrence.size} occurrences dead-lettered, ${brokenCount} BrokenJobs dispatched`);
    const db = open({ path: path.join(outboxDir, 'outbox.mdb'), maxDbs: 8, readOnly: true });
    const entries = db.openDB({ name: 'entries', keyEncoding: 'ordered-binary', encoding: 'binary' });
    const outboxLeft = entries ? entries.getCount() : 0;
    await db.close();
    if (outboxLeft > 0) violations.push(`${outboxLeft} entries left in the outbox after a graceful stop`);
    if (maxRss > 300) violations.push(`worker RSS reached ${Math.round(maxRss)} MB`);
    return {
      seconds: Math.round((Date.now() - t0) / 1000),
      dispatched: kinds.size,
      faults,
      finals,
      duplicateMessages,
      occurrencesWithSeveralFinals: several,
      extraRuns,
      deadLetters: scheduler.deadLetters().length,
      duplicateDeadLetters: scheduler.deadLetters().length - deadByOccurrence.size,
      lost,
      lostLogs,
      outboxLeft,
      maxRssMb: Math.round(maxRss),
      violations,
    };
  } finally {
    clearInterval(rssTimer);
    child?.kill('SIGKILL');
    await scheduler.close().catch(() => undefined);
    await redis.close().catch(() => undefined);
    await amqpProxy.close();
    await redisProxy.close();
    deleteVhost(vhost);
    if (!violations.length) rmSync(dir, { recursive: true, force: true });
    else log(`soak: kept ${dir} for inspection; worker output:\n${childLog.slice(-4000)}`);
    if (existsSync(dir) && violations.length === 0) rmSync(dir, { recursive: true, force: true });
  }
}

function isFinal(m: CollectedMessage<StatusBody>): boolean {
  return FINAL_STATUSES.has(Number(m.body?.Status));
}
