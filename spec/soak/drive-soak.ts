// The dispatching half of a soak: the job mix at a steady rate through the scheduler-side client, dashboard
// cancels for CancelMeJob, one fault of the rotation at a time with a gap between them, then a wait for every
// occurrence's final status.
import { randomUUID } from 'node:crypto';
import { FINAL_STATUSES, type CollectedMessage, type SchedulerClient, type StatusBody } from '../../lib/scheduler-client/index.ts';

/** The soak's job mix, dispatched in turn (spec/soak/soak-jobs.ts). */
export const JOB_NAMES = ['FastJob', 'SlowJob', 'FlakyJob', 'BrokenJob', 'CancelMeJob', 'SleepyJob'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What was dispatched. */
export interface SoakDispatches {
  /** Occurrence id → job name, for every dispatch the broker confirmed. */
  readonly kinds: Map<string, string>;
  /** Dispatches that failed (a connection lost before the confirm): they may or may not have reached a queue. */
  readonly uncertain: Set<string>;
  /** Faults that threw (a node that did not come back, say), as messages. */
  readonly faultErrors: string[];
  /** When each fault began and ended (`ISO time  name  began|ended|failed: …`), for a failed soak's folder. */
  readonly faultLog: string[];
  /** The last fault's name and when it ended (undefined when none ran). */
  readonly lastFault: { readonly name: string; readonly endedAt: number } | undefined;
}

/** One fault of the rotation: its name (for the timeline) and what it does. */
export interface SoakFault {
  readonly name: string;
  run(): Promise<void>;
}

/** Options of {@link driveSoak}. */
export interface DriveSoakOptions {
  readonly scheduler: SchedulerClient;
  readonly workerId: string;
  readonly seconds: number;
  /** Jobs a second. */
  readonly rate: number;
  /** Publishes a dashboard cancel of an occurrence (to the workers' Redis cancellation channel). */
  readonly cancel: (occurrenceId: string) => Promise<unknown>;
  /** The faults, run in turn, one at a time, 3 s apart. */
  readonly faults: readonly SoakFault[];
  readonly log: (line: string) => void;
  /** How long to wait for the last final statuses. Default 90 s. */
  readonly settleMs?: number;
}

/** Whether a collected status is a final one. */
export function isFinal(m: CollectedMessage<StatusBody>): boolean {
  return FINAL_STATUSES.has(Number(m.body?.Status));
}

/** Dispatches for `seconds` while the faults run, then waits until every occurrence has a final status (or the settle time passes). */
export async function driveSoak(options: DriveSoakOptions): Promise<SoakDispatches> {
  const { scheduler, workerId, rate, faults } = options;
  const kinds = new Map<string, string>();
  const uncertain = new Set<string>();
  const faultErrors: string[] = [];
  const faultLog: string[] = [];
  let lastFault: SoakDispatches['lastFault'];
  const note = (name: string, what: string) => void faultLog.push(`${new Date().toISOString()}  ${name}  ${what}`);
  const finished = finishedIndex(scheduler);
  const cancelAfter = new Map<string, number>();
  const recancel = async () => {
    finished.refresh();
    for (const [occ, at] of cancelAfter) {
      if (finished.has(occ)) cancelAfter.delete(occ);
      else if (Date.now() >= at) {
        await options.cancel(occ);
        cancelAfter.set(occ, Date.now() + 2000); // again until it is final: a cancel can fall into an outage
      }
    }
  };
  let nextFault = Date.now() + 3000;
  let faultIndex = 0;
  let faultRunning: Promise<void> | undefined;
  const end = Date.now() + options.seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const jobName = JOB_NAMES[i % JOB_NAMES.length]!;
    const occurrenceId = randomUUID();
    if (jobName === 'CancelMeJob') cancelAfter.set(occurrenceId, Date.now() + 500);
    await scheduler.dispatch({ jobName, workerId, occurrenceId }).then(
      () => kinds.set(occurrenceId, jobName),
      () => (uncertain.add(occurrenceId), cancelAfter.delete(occurrenceId)),
    );
    await recancel();
    if (faultRunning === undefined && Date.now() >= nextFault) {
      const fault = faults[faultIndex++ % faults.length]!;
      note(fault.name, 'began');
      faultRunning = fault
        .run()
        .then(
          () => note(fault.name, 'ended'),
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            faultErrors.push(message);
            note(fault.name, `failed: ${message}`);
          },
        )
        .finally(() => {
          faultRunning = undefined;
          nextFault = Date.now() + 3000;
          lastFault = { name: fault.name, endedAt: Date.now() };
        });
    }
    await sleep(1000 / rate);
  }
  await faultRunning;
  options.log(`soak: dispatched ${kinds.size} (${uncertain.size} dispatches failed), waiting for every final status`);
  const deadline = Date.now() + (options.settleMs ?? 90_000);
  const unfinished = () => (finished.refresh(), [...kinds.keys()].some((occ) => !finished.has(occ)));
  while (Date.now() < deadline && unfinished()) {
    await recancel();
    await sleep(500);
  }
  return { kinds, uncertain, faultErrors, faultLog, lastFault };
}

/**
 * The occurrences with a final status, indexed as statuses arrive. Asking the client per occurrence scans every
 * status it collected: once thousands were dispatched, each settle check held this process for seconds (15 s at
 * 3,210), and with it the TCP proxies the worker connects through, so a worker restarted by the last fault could
 * not finish its AMQP handshake, failed its start and sent no heartbeat.
 */
function finishedIndex(scheduler: SchedulerClient): { refresh(): void; has(occurrenceId: string): boolean } {
  const done = new Set<string>();
  let read = 0;
  return {
    refresh() {
      const all = scheduler.statuses();
      for (; read < all.length; read++) {
        const m = all[read]!;
        if (isFinal(m)) done.add(String(m.body?.OccurrenceId ?? m.body?.['CorrelationId']).toLowerCase());
      }
    },
    has: (occurrenceId) => done.has(occurrenceId.toLowerCase()),
  };
}
