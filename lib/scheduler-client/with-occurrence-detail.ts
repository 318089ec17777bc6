// The error of a failed wait for an occurrence, with what did arrive for it: a failed test says where the job got to.
import type { ReturnedMessage } from 'rabbitmq-client';
import { errorMessage } from '../core/util/error-message.js';
import type { CollectedMessage } from './to-collected-message.js';

/** What the error reads of the scheduler client: what it collected for the occurrence. */
export interface CollectedForOccurrence {
  statuses(occurrenceId: string): readonly CollectedMessage<{ readonly Status?: number }>[];
  logs(occurrenceId: string): readonly unknown[];
  deadLetters(occurrenceId: string): readonly unknown[];
}

/** The wait's error with what did arrive for the occurrence, so a failed test says where the job got to. */
export function withOccurrenceDetail(client: CollectedForOccurrence, returns: readonly ReturnedMessage[], occurrenceId: string, error: unknown): Error {
  const seen = client.statuses(occurrenceId).map((m) => m.body?.Status ?? m.text);
  const unroutable = returns.filter((r) => r.correlationId === occurrenceId).map((r) => `dispatch returned unroutable (routing key ${r.routingKey})`);
  const detail = [`statuses of occurrence ${occurrenceId}: [${seen.join(', ')}]`, `its logs: ${client.logs(occurrenceId).length}`, `its dead letters: ${client.deadLetters(occurrenceId).length}`, ...unroutable];
  return new Error(`${errorMessage(error)} For it: ${detail.join('; ')}.`, { cause: error });
}
