// The checking half of a soak: after the workers stopped gracefully, the invariants over what the scheduler-side
// client collected (de-duplicated by message id) and what is left in each outbox, as the counts a soak prints.
import path from 'node:path';
import { open } from 'lmdb';
import { JobStatus } from '../../lib/index.ts';
import type { CollectedMessage, SchedulerClient, StatusBody } from '../../lib/scheduler-client/index.ts';
import { isFinal, type SoakDispatches } from './drive-soak.ts';

/** What each job must end as (CancelMeJob may time out when its cancel fell into a Redis outage). */
const EXPECTED: Record<string, readonly number[]> = {
  FastJob: [JobStatus.Completed],
  SlowJob: [JobStatus.Completed],
  FlakyJob: [JobStatus.Completed],
  BrokenJob: [JobStatus.Failed],
  CancelMeJob: [JobStatus.Cancelled, JobStatus.TimedOut],
  SleepyJob: [JobStatus.TimedOut],
};
/** A worker process above this RSS is a violation. */
const MAX_RSS_MB = 300;

/** What a soak run found. */
export interface SoakResult {
  readonly seconds: number;
  readonly dispatched: number;
  /** Dispatches whose confirm failed (not counted as dispatched: they may not have reached a queue). */
  readonly dispatchErrors: number;
  readonly faults: Record<string, number>;
  readonly finals: number;
  readonly duplicateMessages: number;
  readonly occurrencesWithSeveralFinals: number;
  readonly extraRuns: number;
  /** Runs that started after another run of the same occurrence had ended with a final status (durable from then on). */
  readonly secondRunsOfFinished: number;
  /** The first of those occurrences, each with its final statuses (status, start, end, instance), to tell their cause. */
  readonly secondRuns?: readonly string[];
  readonly deadLetters: number;
  /** DLQ messages beyond one per permanently failing occurrence (a crash between the DLQ publish and the ack). */
  readonly duplicateDeadLetters: number;
  readonly lost: number;
  readonly lostLogs: number;
  /** Entries left in the outboxes after the graceful stop (the sum over the workers). */
  readonly outboxLeft: number;
  /** The same per worker, when there are several. */
  readonly outboxLeftByWorker?: readonly number[];
  readonly maxRssMb: number;
  readonly violations: readonly string[];
}

/** What {@link checkSoak} needs: the client, what was dispatched, and the stopped workers' outbox folders and peak RSS. */
export interface CheckSoakInput {
  readonly scheduler: SchedulerClient;
  readonly dispatches: SoakDispatches;
  readonly outboxDirs: readonly string[];
  readonly maxRssMb: number;
  readonly startedAt: number;
  readonly faults: Record<string, number>;
  /** What went wrong with the worker processes themselves: exits nobody asked for, silence before the final stop. */
  readonly workerViolations?: readonly string[];
}

/** Checks the invariants and counts; every broken invariant is a line of `violations`. */
export async function checkSoak(input: CheckSoakInput): Promise<SoakResult> {
  const { scheduler, dispatches } = input;
  const violations = dispatches.faultErrors.map((e) => `a fault failed: ${e}`);
  violations.push(...(input.workerViolations ?? []));
  const { unique, duplicateMessages } = uniqueStatuses(scheduler);
  const counts = { lost: 0, several: 0, extraRuns: 0, secondRunsOfFinished: 0, finals: 0, lostLogs: 0 };
  const secondRuns: string[] = [];
  for (const [occ, kind] of dispatches.kinds) {
    const ends = (unique.get(occ) ?? []).filter(isFinal);
    if (ends.length === 0) {
      counts.lost++;
      violations.push(`${kind} ${occ}: no final status (statuses: ${describeStatuses(scheduler.statuses(occ))})`);
      continue;
    }
    counts.finals++;
    if (ends.length > 1) {
      counts.several++;
      counts.extraRuns += ends.length - 1;
      const again = runsAfterAFinish(ends);
      counts.secondRunsOfFinished += again;
      if (again > 0 && secondRuns.length < 10) secondRuns.push(`${kind} ${occ}: ${ends.map(describeEnd).join('; ')}`);
    }
    const status = ends[0]!.body!.Status!;
    if (!EXPECTED[kind]!.includes(status)) violations.push(`${kind} ${occ}: final status ${status}, expected ${EXPECTED[kind]!.join(' or ')}`);
    if (kind === 'FlakyJob' && scheduler.deadLetters(occ).length > 0) violations.push(`FlakyJob ${occ} was dead-lettered`);
    if (kind === 'BrokenJob' && scheduler.deadLetters(occ).length === 0) violations.push(`BrokenJob ${occ} has no DLQ message`);
    if (kind === 'FastJob' && status === JobStatus.Completed) {
      const logs = new Set(scheduler.logs(occ).map((l) => String((l.body?.Log as Record<string, unknown> | undefined)?.['Message'])));
      if (!logs.has('fast start') || !logs.has('fast done')) {
        counts.lostLogs++;
        violations.push(`FastJob ${occ}: a log line is missing`);
      }
    }
  }
  const brokenCount = [...dispatches.kinds.values()].filter((k) => k === 'BrokenJob').length;
  // A dispatch that failed may still have run: its dead letter is neither expected nor a violation.
  const dead = scheduler.deadLetters().map((d) => String(d.headers['CorrelationId'])).filter((occ) => !dispatches.uncertain.has(occ));
  const deadByOccurrence = new Set(dead);
  if (deadByOccurrence.size !== brokenCount) violations.push(`${deadByOccurrence.size} occurrences dead-lettered, ${brokenCount} BrokenJobs dispatched`);
  const outboxLeftByWorker = await Promise.all(input.outboxDirs.map((dir) => countOutbox(dir)));
  outboxLeftByWorker.forEach((left, i) => left > 0 && violations.push(`${left} entries left in outbox ${i + 1} after a graceful stop`));
  if (input.maxRssMb > MAX_RSS_MB) violations.push(`worker RSS reached ${Math.round(input.maxRssMb)} MB`);
  const deadLetters = scheduler.deadLetters().length;
  return {
    seconds: Math.round((Date.now() - input.startedAt) / 1000),
    dispatched: dispatches.kinds.size,
    dispatchErrors: dispatches.uncertain.size,
    faults: input.faults,
    finals: counts.finals,
    duplicateMessages,
    occurrencesWithSeveralFinals: counts.several,
    extraRuns: counts.extraRuns,
    secondRunsOfFinished: counts.secondRunsOfFinished,
    ...(secondRuns.length > 0 ? { secondRuns } : {}),
    deadLetters,
    duplicateDeadLetters: dead.length - deadByOccurrence.size,
    lost: counts.lost,
    lostLogs: counts.lostLogs,
    outboxLeft: outboxLeftByWorker.reduce((a, b) => a + b, 0),
    ...(outboxLeftByWorker.length > 1 ? { outboxLeftByWorker } : {}),
    maxRssMb: Math.round(input.maxRssMb),
    violations,
  };
}

/**
 * Of the final statuses of one occurrence (one per run), the runs that started after another run had ended: a
 * second run of a finished job. Runs that overlapped (a redelivery while the first still ran) are not counted.
 */
function runsAfterAFinish(ends: readonly CollectedMessage<StatusBody>[]): number {
  const times = ends.map((e) => ({ start: Date.parse(String(e.body!['StartTime'])), end: Date.parse(String(e.body!['EndTime'])) }));
  const firstEnd = Math.min(...times.map((t) => t.end));
  return times.filter((t) => t.start > firstEnd).length;
}

/** The statuses by occurrence after de-duplicating statuses and logs by message id (a crash between publish and removal resends). */
function uniqueStatuses(scheduler: SchedulerClient): { unique: Map<string, CollectedMessage<StatusBody>[]>; duplicateMessages: number } {
  const ids = new Set<string>();
  const unique = new Map<string, CollectedMessage<StatusBody>[]>();
  let duplicateMessages = 0;
  for (const m of [...scheduler.statuses(), ...scheduler.logs()]) {
    const id = String(m.properties.messageId);
    if (ids.has(id)) duplicateMessages++;
    else {
      ids.add(id);
      if (m.queue !== scheduler.names.statuses) continue;
      const occ = String((m as CollectedMessage<StatusBody>).body?.OccurrenceId);
      unique.set(occ, [...(unique.get(occ) ?? []), m as CollectedMessage<StatusBody>]);
    }
  }
  return { unique, duplicateMessages };
}

/** Statuses as `Running@instance` in arrival order, for a violation. */
function describeStatuses(statuses: readonly CollectedMessage<StatusBody>[]): string {
  const name = (status: unknown) => Object.entries(JobStatus).find(([, n]) => n === status)?.[0] ?? String(status);
  return statuses.map((m) => `${name(m.body?.Status)}@${String(m.body?.['InstanceId'])}`).join(', ') || 'none';
}

/** The entries left in an outbox folder (0 when it has none). */
export async function countOutbox(dir: string): Promise<number> {
  const db = open({ path: path.join(dir, 'outbox.mdb'), maxDbs: 8, readOnly: true });
  const entries = db.openDB({ name: 'entries', keyEncoding: 'ordered-binary', encoding: 'binary' });
  const left = entries ? entries.getCount() : 0;
  await db.close();
  return left;
}

/** Prints a soak's JSON and verdict (for the soak CLIs); returns the exit code: 0, or 1 on a violation. */
export function reportSoak(result: SoakResult): number {
  console.log(JSON.stringify(result, null, 2));
  console.log(result.violations.length === 0 ? 'soak: all invariants hold' : `soak: ${result.violations.length} violations`);
  return result.violations.length === 0 ? 0 : 1;
}

/** One final status as `status start→end by instance`. */
function describeEnd(end: CollectedMessage<StatusBody>): string {
  const b = end.body!;
  return `${String(b.Status)} ${String(b['StartTime'])}→${String(b['EndTime'])} by ${String(b['InstanceId'] ?? b['WorkerId'] ?? '?')}`;
}
