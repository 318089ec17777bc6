// The scheduler client's collector: what the client has received from the scheduler's queues (statuses, logs,
// registrations, heartbeats, dead letters, external messages), the waits on it, and the logs-queue marker that
// tells waitForLogs() the queue has delivered what it held.
import type { AsyncMessage, ReturnedMessage } from 'rabbitmq-client';
import { describeError } from './describe-error.js';
import { toCollectedMessages, type CollectedMessage } from './to-collected-message.js';
import type { toQueueNames } from './to-queue-names.js';

/** How long to wait, and what for (named in the timeout error). */
export interface WaitOptions {
  /** Default 10000. */
  readonly timeoutMs?: number;
  /** Named in the timeout error. */
  readonly what?: string;
}

/** What the client has collected and who waits for it; `closed` ends every wait. */
export interface Collector {
  readonly names: ReturnType<typeof toQueueNames>;
  readonly errors: unknown[];
  readonly collected: Map<string, CollectedMessage<Readonly<Record<string, unknown>>>[]>;
  readonly returns: ReturnedMessage[];
  readonly waiters: Set<() => void>;
  /** Markers sent through the logs queue by waitForLogs() and not back yet. */
  readonly markers: Set<string>;
  closed: boolean;
}

/** The header of waitForLogs()'s marker: the client's own message in the logs queue, never collected. */
export const LOG_MARKER = 'x-milvaion-testing-log-marker';

export function onMessage(c: Collector, queue: string, msg: AsyncMessage): void {
  const marker: unknown = queue === c.names.logs ? msg.headers?.[LOG_MARKER] : undefined;
  if (marker === undefined) return toCollectedMessages(queue, msg, queue === c.names.logs).forEach((m) => collect(c, queue, m));
  c.markers.delete(String(marker));
  for (const wake of c.waiters) wake();
}

function collect(c: Collector, queue: string, message: CollectedMessage<Readonly<Record<string, unknown>>>): void {
  c.collected.get(queue)?.push(message);
  for (const wake of c.waiters) wake();
}

export function list<B extends Readonly<Record<string, unknown>>>(c: Collector, queue: string): CollectedMessage<B>[] {
  return (c.collected.get(queue) ?? []) as CollectedMessage<B>[];
}

export function byOccurrence<B extends Readonly<Record<string, unknown>>>(c: Collector, queue: string, occurrenceId: string | undefined): CollectedMessage<B>[] {
  return list<B>(c, queue).filter((m) => occurrenceId === undefined || mentions(m, occurrenceId));
}

export function byWorker<B extends Readonly<Record<string, unknown>>>(c: Collector, queue: string, workerId: string | undefined): CollectedMessage<B>[] {
  return list<B>(c, queue).filter((m) => workerId === undefined || m.body?.['WorkerId'] === workerId);
}

export function waitFor<T>(c: Collector, find: () => T | undefined | null | false, { timeoutMs: limit = 10_000, what = 'a condition' }: WaitOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      c.waiters.delete(check);
      clearInterval(poll);
      clearTimeout(timer);
      if (error !== undefined) reject(error);
    };
    function check(): void {
      if (c.closed) return finish(new Error(`Scheduler client closed while waiting for ${what}`));
      let found: ReturnType<typeof find>;
      try {
        found = find();
      } catch (error) {
        return finish(error instanceof Error ? error : new Error(String(error)));
      }
      if (found !== undefined && found !== null && found !== false) {
        finish();
        resolve(found);
      }
    }
    const poll = setInterval(check, 25);
    const timer = setTimeout(() => finish(new Error(`Timed out after ${limit} ms waiting for ${what}. ${summary(c)}`)), limit);
    c.waiters.add(check);
    check();
  });
}

function summary(c: Collector): string {
  const counts = Object.entries(c.names).map(([kind, queue]) => `${kind} ${c.collected.get(queue)?.length ?? 0}`);
  const problems = c.errors.length === 0 ? '' : ` Errors: ${c.errors.map(describeError).join('; ')}.`;
  return `Collected: ${counts.join(', ')}; returned unroutable ${c.returns.length}.${problems}`;
}

/** True when the message names the occurrence in its body, headers or correlation_id property (case-insensitive). */
function mentions(message: CollectedMessage<Readonly<Record<string, unknown>>>, occurrenceId: string): boolean {
  const wanted = occurrenceId.toLowerCase();
  const candidates = [message.body?.['CorrelationId'], message.body?.['OccurrenceId'], message.headers['CorrelationId'], message.headers['OccurrenceId'], message.properties.correlationId];
  return candidates.some((c) => (Buffer.isBuffer(c) ? c.toString() : typeof c === 'string' ? c : '').toLowerCase() === wanted);
}
