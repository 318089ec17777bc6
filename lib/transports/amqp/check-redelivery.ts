// What a redelivered delivery means, once no run in this process explains it: finished in another process (ack
// it unrun), a crash to run again (its previous delivery ended with no outcome), alone from the second crash in a
// row (the first may have been a bystander of another job's crash, or a whole pod evicted), or a crash loop to
// stop. Only a redelivery asks: a first delivery pays nothing. The shared records (Redis) answer for every process
// of the WorkerId; while they cannot, this process's own records do.
import type { RedeliveryRecords, SharedOccurrences } from '../../core/vocabulary/ports.js';

/** What the check reads and writes. */
export interface RedeliveryKnowledge {
  readonly records: RedeliveryRecords;
  readonly shared?: SharedOccurrences | undefined;
  /** Crash redeliveries that still run (Worker:MaxCrashRedeliveries); 0 counts nothing. */
  readonly maxCrashRedeliveries: number;
}

/** The check's answer. */
export type RedeliveryDecision =
  | { readonly kind: 'finished-elsewhere' }
  /** Run it; `counted` when its previous delivery crashed, `alone` from the second crash on (or at the last allowed one). */
  | { readonly kind: 'run'; readonly counted: boolean; readonly alone: boolean; readonly crashes: number }
  | { readonly kind: 'crash-looped'; readonly crashes: number; readonly limit: number };

/** Decides what a redelivery of `occurrenceId` that no run here explains should do; the count is durable when it resolves. */
export async function checkRedelivery(knowledge: RedeliveryKnowledge, occurrenceId: string): Promise<RedeliveryDecision> {
  const { records, shared, maxCrashRedeliveries: limit } = knowledge;
  if ((await shared?.isFinished(occurrenceId)) === true) return { kind: 'finished-elsewhere' };
  if (limit <= 0) return { kind: 'run', counted: false, alone: false, crashes: 0 };
  const { crashes, counted } = (await shared?.noteRedelivery(occurrenceId)) ?? (await records.noteRedelivery(occurrenceId));
  if (crashes > limit) return { kind: 'crash-looped', crashes, limit };
  return { kind: 'run', counted, alone: counted && (crashes >= 2 || crashes >= limit), crashes };
}

/** Its delivery goes back to the queue on purpose: the next redelivery is no crash, wherever it lands. */
export async function releaseOccurrence(knowledge: RedeliveryKnowledge, occurrenceId: string): Promise<void> {
  if (knowledge.maxCrashRedeliveries <= 0) return;
  await Promise.all([knowledge.records.release(occurrenceId), knowledge.shared?.release(occurrenceId)]);
}
