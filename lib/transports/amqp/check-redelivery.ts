// What a redelivered delivery means, once no run in this process explains it: finished in another process (ack
// it unrun), still running in another process whose connection was cut (wait for it, then ack it unrun or run it),
// a crash to run again (its previous delivery ended with no outcome), alone from the second crash in a row (the
// first may have been a bystander of another job's crash, or a whole pod evicted), or a crash loop to stop. Only a
// redelivery asks: a first delivery pays nothing. The shared records (Redis) answer for every process of the
// WorkerId; while they cannot, this process's own records do, and nothing waits.
import type { Attempt, AttemptEnding, RedeliveryRecords, SharedOccurrences } from '../../core/vocabulary/ports.js';
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';
import { sleep } from '../../core/util/sleep.js';
import type { AttemptTiming } from './create-attempt-leases.js';

/** What the check reads and writes. */
export interface RedeliveryKnowledge {
  readonly records: RedeliveryRecords;
  readonly shared?: SharedOccurrences | undefined;
  /** Crash redeliveries that still run (Worker:MaxCrashRedeliveries); 0 counts nothing. */
  readonly maxCrashRedeliveries: number;
  /** How attempts are held and waited for (WorkerDefaults.attemptLeases unless a spec says otherwise). */
  readonly timing?: AttemptTiming | undefined;
}

/** What a check may wait on: the worker closing (the delivery goes back), and who it waits for (logged once). */
export interface RedeliveryWaiting {
  readonly signal: AbortSignal;
  onWait(holder: string): void;
}

/** The check's answer. */
export type RedeliveryDecision =
  | { readonly kind: 'finished-elsewhere' }
  /** Its attempt ran in another process, whose delivery was lost after it ended: nothing is owed (acked, retried or dead-lettered there). */
  | { readonly kind: 'settled-elsewhere' }
  /** The worker closes while the check waited: the delivery goes back to the queue. */
  | { readonly kind: 'give-back' }
  /** Run it; `counted` when its previous delivery crashed, `alone` from the second crash on (or at the last allowed one). */
  | { readonly kind: 'run'; readonly counted: boolean; readonly alone: boolean; readonly crashes: number }
  | { readonly kind: 'crash-looped'; readonly crashes: number; readonly limit: number };

/** Decides what a redelivery of `attempt` that no run here explains should do; the count is durable when it resolves. */
export async function checkRedelivery(knowledge: RedeliveryKnowledge, attempt: Attempt, waiting?: RedeliveryWaiting): Promise<RedeliveryDecision> {
  const { records, shared, maxCrashRedeliveries: limit } = knowledge;
  const { occurrenceId } = attempt;
  if ((await shared?.isFinished(occurrenceId)) === true) return { kind: 'finished-elsewhere' };
  const other = shared === undefined || waiting === undefined ? 'away' : await awaitOtherRun(shared, attempt, knowledge.timing ?? WorkerDefaults.attemptLeases, waiting);
  if (other === 'closing') return { kind: 'give-back' };
  if (other === 'settled') return { kind: 'settled-elsewhere' };
  if (other !== 'away' && (await shared?.isFinished(occurrenceId)) === true) return { kind: 'finished-elsewhere' };
  if (limit <= 0) return { kind: 'run', counted: false, alone: false, crashes: 0 };
  // An occurrence given back on purpose was released: the count uses the release up and counts no crash.
  const { crashes, counted } = (await shared?.noteRedelivery(occurrenceId)) ?? (await records.noteRedelivery(occurrenceId));
  if (crashes > limit) return { kind: 'crash-looped', crashes, limit };
  return { kind: 'run', counted, alone: counted && (crashes >= 2 || crashes >= limit), crashes };
}

/**
 * Waits for another process's run of the attempt: a grace period first when none holds it (a live process holds
 * an attempt within a second or two of its start, or finishes it), then while one holds it. Says how it ended
 * ('returned' at once for an occurrence given back on purpose), 'gone' when no live process accounts for it,
 * 'away' when the shared records cannot tell.
 */
async function awaitOtherRun(shared: SharedOccurrences, attempt: Attempt, timing: AttemptTiming, waiting: RedeliveryWaiting): Promise<AttemptEnding | 'gone' | 'away' | 'closing'> {
  let state = await shared.attempt(attempt);
  if (state?.kind === 'unknown') {
    if (!(await sleep(timing.graceMs, waiting.signal))) return 'closing';
    state = await shared.attempt(attempt);
  }
  let told = false;
  while (state?.kind === 'running') {
    if (!told) waiting.onWait(state.holder);
    told = true;
    if (!(await sleep(timing.pollMs, waiting.signal))) return 'closing';
    state = await shared.attempt(attempt);
  }
  if (state === undefined) return 'away';
  return state.kind === 'unknown' ? 'gone' : state.kind;
}

/** Its delivery goes back to the queue on purpose: the next redelivery is no crash, wherever it lands. */
export async function releaseOccurrence(knowledge: RedeliveryKnowledge, occurrenceId: string): Promise<void> {
  if (knowledge.maxCrashRedeliveries <= 0) return;
  await Promise.all([knowledge.records.release(occurrenceId), knowledge.shared?.release(occurrenceId)]);
}
