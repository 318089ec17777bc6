// Whether an outcome ends the occurrence here (anything but a deferred retry).
import type { Outcome } from './outcome.js';

/** Whether an outcome means "this occurrence is over and will not be tried again here". */
export function isFinal(outcome: Outcome): boolean {
  return outcome.isOk() || outcome.error.kind !== 'retry-scheduled';
}
