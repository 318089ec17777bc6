// An ExternalReporter that records its calls instead of sending them, for specs of what an adapter reports
// (the messages themselves are the reporter's own specs' business).
import { externalCorrelationId } from '../../lib/external/external-correlation-id.ts';
import type { ExternalEnd, ExternalJob, ExternalReporter, ExternalStart } from '../../lib/external/external-types.ts';

/** One recorded call, in the order the calls were made. */
type ReporterCall =
  | { readonly kind: 'registerJob'; readonly job: ExternalJob; readonly at: number }
  | { readonly kind: 'starting'; readonly event: ExternalStart; readonly at: number }
  | { readonly kind: 'finished'; readonly event: ExternalEnd; readonly at: number };

/** The fake with its record. */
export interface FakeExternalReporter extends ExternalReporter {
  readonly calls: ReporterCall[];
  registrations(externalJobId?: string): ExternalJob[];
  /** The starting and finished calls of one occurrence (a BullMQ job id), as `starting` / `Completed` / `Failed`… */
  sequence(externalOccurrenceId: string): string[];
  events(externalOccurrenceId: string): (ExternalStart | ExternalEnd)[];
  /** When each registration of `externalJobId` resolved (performance.now()). */
  registeredAt(externalJobId: string): number[];
}

/** Creates the fake; `registrationDelayMs` makes registerJob resolve later (to see that a Starting waits for it). */
export function createFakeExternalReporter(options: { registrationDelayMs?: number } = {}): FakeExternalReporter {
  const calls: ReporterCall[] = [];
  const resolved = new Map<string, number[]>();
  const source = 'BullMQ';
  const correlationIdOf: ExternalReporter['correlationIdOf'] = (ref) => externalCorrelationId(source, ref.externalJobId, ref.externalOccurrenceId);
  const occurrence = (id: string) =>
    calls.flatMap((c) => (c.kind !== 'registerJob' && c.event.externalOccurrenceId === id ? [c] : []));
  return {
    workerId: 'bullmq-spec',
    instanceId: 'bullmq-spec-00000000',
    source,
    calls,
    async start() {},
    async registerJob(job) {
      calls.push({ kind: 'registerJob', job, at: performance.now() });
      if (options.registrationDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.registrationDelayMs));
      resolved.set(job.externalJobId, [...(resolved.get(job.externalJobId) ?? []), performance.now()]);
    },
    async starting(event) {
      calls.push({ kind: 'starting', event, at: performance.now() });
      return correlationIdOf(event);
    },
    async finished(event) {
      calls.push({ kind: 'finished', event, at: performance.now() });
      return correlationIdOf(event);
    },
    correlationIdOf,
    async close() {},
    registrations: (id) => calls.flatMap((c) => (c.kind === 'registerJob' && (id === undefined || c.job.externalJobId === id) ? [c.job] : [])),
    sequence: (id) => occurrence(id).map((c) => (c.kind === 'starting' ? 'starting' : c.event.outcome)),
    events: (id) => occurrence(id).map((c) => c.event),
    registeredAt: (id) => resolved.get(id) ?? [],
  };
}
