// Handling one job delivery: size and format checks (a bad message is dead-lettered with the reason), the
// finished and in-flight checks, the redelivery check (finished elsewhere, a crash to run alone, a crash loop to
// stop), the execution, then its verdict's fate: ack, requeue, a retry through the delay queue or a dead letter
// (protocol §1.5; unlike the .NET worker, a retry waits in the broker, not in the process: §4.2).
import type { AsyncMessage } from 'rabbitmq-client';
import type { Executor } from '../../core/engine/create-executor.js';
import type { JobLimits } from '../../core/engine/create-job-limits.js';
import { parseJobMessage } from '../../core/engine/parse-job-message.js';
import { declineOccurrence } from '../../core/engine/decline-occurrence.js';
import { toVerdict } from '../../core/engine/to-verdict.js';
import type { DeadLetterReason, FinishedOccurrences, Sink, WorkerTelemetry } from '../../core/vocabulary/ports.js';
import type { JobEnvelope, TechnicalLogger } from '../../core/vocabulary/types.js';
import type { Outcome } from '../../core/vocabulary/outcome.js';
import type { Settlement } from '../../core/vocabulary/delivery-fate.js';
import type { ClaimedOccurrence, Flight } from './create-job-consumer.js';
import type { createRepublisher } from './create-republisher.js';
import type { RegisteredJob } from './to-presence-messages.js';
import { checkRedelivery, releaseOccurrence, type RedeliveryKnowledge } from './check-redelivery.js';
import type { SoloGate } from './create-solo-gate.js';
import type { AttemptLeases } from './create-attempt-leases.js';

/** One consumed job type. */
export interface ConsumedJob extends RegisteredJob {
  readonly queue: string;
}

/** What handling a delivery needs; built once by the source. */
export interface DeliveryHandling {
  readonly executor: Executor;
  /** Where the runtime's own records go (dead-letter notices, a declined occurrence): the executor's sink. */
  readonly sink: Sink;
  readonly finished: FinishedOccurrences;
  readonly redeliveries: RedeliveryKnowledge;
  readonly logger: TechnicalLogger;
  readonly maxMessageBytes: number;
  /** The delivery in flight (on any consumer) that runs an attempt of an occurrence, and what it will be told. */
  readonly claimed: (occurrenceId: string) => ClaimedOccurrence | undefined;
  readonly republisher: ReturnType<typeof createRepublisher>;
  readonly telemetry: WorkerTelemetry;
  /** Suspected crashers run alone. */
  readonly gate: SoloGate;
  /** With the shared records: the attempts running here, held for the other processes of the WorkerId. */
  readonly leases?: AttemptLeases | undefined;
  /** Aborts when the source closes: a redelivery waiting for another process's run goes back to the queue. */
  readonly closing: AbortSignal;
  /** The jobs' rate limits, when a job has one. */
  readonly limits?: JobLimits | undefined;
}

/**
 * The size of a delivery's body: exact for bytes and text; for a body the client already parsed as JSON,
 * the length of its jobData (the only field that can be large) — cheap, with no re-encoding per message.
 */
function messageSize(body: unknown): number {
  if (Buffer.isBuffer(body)) return body.length;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (typeof body === 'object' && body !== null) {
    const data = (body as Record<string, unknown>)['jobData'] ?? (body as Record<string, unknown>)['JobData'];
    return typeof data === 'string' ? data.length : 0;
  }
  return 0;
}

/** Checks a delivery (size, format, finished, already running here), then runs it once. */
export async function handleJobDelivery(handling: DeliveryHandling, job: ConsumedJob, msg: AsyncMessage, flight: Flight): Promise<Settlement> {
  const { maxMessageBytes, claimed } = handling;
  const { deadLetterRaw } = handling.republisher;
  const { finished, logger } = handling;
  const size = messageSize(msg.body);
  if (size > maxMessageBytes) return counted(handling, job, 'too-large', deadLetterRaw(msg, `Invalid job message: ${size} bytes, above the limit of ${maxMessageBytes} (MaxMessageBytes)`));
  // A quorum queue counts deliveries; a classic one only flags a redelivery.
  const redelivered = msg.redelivered || Number(msg.headers?.['x-delivery-count'] ?? 0) > 0;
  const parsed = parseJobMessage({ body: msg.body, headers: msg.headers, correlationId: msg.correlationId, redelivered });
  if (parsed.isErr()) return counted(handling, job, 'malformed', deadLetterRaw(msg, parsed.error));
  const envelope = parsed.value;
  for (;;) {
    if (finished.has(envelope.occurrenceId)) {
      logger.info(`${envelope.jobName} ${envelope.occurrenceId} already finished on this worker; acking the redelivery without running it`);
      return 'ack';
    }
    const current = claimed(envelope.occurrenceId);
    if (current === undefined) break;
    if (envelope.retryCount <= current.retryCount) {
      // A connection blip requeued a delivery whose job still runs here: the running one decides for both.
      logger.warn(`${envelope.jobName} ${envelope.occurrenceId} was redelivered while it still runs here; this copy follows that run`);
      return current.settlement;
    }
    // The next attempt came back from its delay queue before the current attempt had the broker's confirm
    // of publishing it (and so before its ack): it is a new attempt, and runs once the current one is done.
    await current.settlement;
  }
  flight.claim(envelope.occurrenceId, envelope.retryCount);
  if (!envelope.redelivered) return execute(handling, job, flight, envelope);
  const label = `${envelope.jobName} ${envelope.occurrenceId}`;
  const decision = await checkRedelivery(handling.redeliveries, envelope, {
    signal: handling.closing,
    onWait: (holder) => logger.warn(`${label} was redelivered while it still runs in ${holder}, another process of this worker; waiting for that run to end`),
  });
  switch (decision.kind) {
    case 'finished-elsewhere':
      return finishedElsewhere(handling, envelope);
    case 'settled-elsewhere':
      logger.info(`${label} ended in another process of this worker, whose connection was lost before its ack; acking the redelivery without running it`);
      return 'ack';
    case 'give-back':
      await releaseOccurrence(handling.redeliveries, envelope.occurrenceId);
      return 'requeue';
    case 'crash-looped':
      return conclude(handling, job, envelope, await declineOccurrence(envelope, { kind: 'crash-looped', crashes: decision.crashes, limit: decision.limit }, handling.sink));
    case 'run':
      if (decision.counted) {
        const alone = decision.alone ? '; it runs alone once the jobs running here end' : '';
        logger.warn(`${envelope.jobName} ${envelope.occurrenceId}: its last delivery ended with no outcome (crash ${decision.crashes}; up to ${handling.redeliveries.maxCrashRedeliveries} run again)${alone}`);
      }
      if (!decision.alone) return execute(handling, job, flight, envelope);
      // Its turn may come after another process finished it: asked again once it waited.
      return handling.gate.alone(async () =>
        (await handling.redeliveries.shared?.isFinished(envelope.occurrenceId)) === true ? finishedElsewhere(handling, envelope) : execute(handling, job, flight, envelope, false),
      );
    default:
      return decision satisfies never;
  }
}

/** A redelivery of an occurrence another process of the WorkerId finished: known here from now on, acked unrun. */
function finishedElsewhere({ finished, logger }: DeliveryHandling, envelope: JobEnvelope): Settlement {
  logger.info(`${envelope.jobName} ${envelope.occurrenceId} already finished in another process of this worker; acking the redelivery without running it`);
  finished.add(envelope.occurrenceId);
  return 'ack';
}

/** Before a delivery not started goes back to the queue on purpose: its redelivery is no crash. */
export async function releaseDelivery(handling: DeliveryHandling, msg: AsyncMessage): Promise<void> {
  const parsed = parseJobMessage({ body: msg.body, headers: msg.headers, correlationId: msg.correlationId });
  if (parsed.isOk()) await releaseOccurrence(handling.redeliveries, parsed.value.occurrenceId);
}

/** Runs an occurrence (through the gate, unless it runs alone already), then carries out its verdict's fate. */
async function execute(handling: DeliveryHandling, job: ConsumedJob, flight: Flight, envelope: JobEnvelope, gated = true): Promise<Settlement> {
  const { executor, logger } = handling;
  let releaseSlot: (() => void) | undefined;
  if (handling.limits !== undefined && (job.settings.rateLimit !== undefined || job.settings.maxParallelJobsGlobal !== undefined)) {
    // Its turn comes before it starts: no Running yet, no timeout running, its delivery held but not counted as a job.
    // A stop gives it back; so does its channel closing (the broker redelivers it, so it must not run here too).
    const turn = await handling.limits.turn(job.definition, job.settings, envelope, AbortSignal.any([handling.closing, flight.lost]));
    if (turn.kind === 'closing') {
      await releaseOccurrence(handling.redeliveries, envelope.occurrenceId);
      return 'requeue';
    }
    if (turn.kind === 'cancelled') return conclude(handling, job, envelope, await declineOccurrence(envelope, { kind: 'cancelled', reason: turn.reason, source: 'user' }, handling.sink));
    releaseSlot = turn.release;
  }
  const entering = gated ? handling.gate.enter() : undefined;
  if (entering !== undefined) await entering;
  flight.hold(`${envelope.jobName} ${envelope.occurrenceId}`);
  handling.leases?.begin(envelope);
  let outcome: Outcome;
  try {
    outcome = await executor.execute(envelope);
  } catch (error) {
    // The final status could not be handed to the sink: do not ack; the broker redelivers.
    logger.error(`The status of ${envelope.jobName} ${envelope.occurrenceId} could not be recorded; requeueing the delivery`, error);
    await releaseOccurrence(handling.redeliveries, envelope.occurrenceId);
    return 'requeue';
  } finally {
    // A slot across processes is held for the run only: a retry waits in the broker without it.
    releaseSlot?.();
    flight.release();
    if (gated) handling.gate.leave();
  }
  return conclude(handling, job, envelope, outcome);
}

/** Carries out the fate of an occurrence's outcome. */
async function conclude(handling: DeliveryHandling, job: ConsumedJob, envelope: JobEnvelope, outcome: Outcome): Promise<Settlement> {
  const { retryLater, deadLetterJob } = handling.republisher;
  const { logger } = handling;
  const { fate } = toVerdict(outcome, envelope, job.settings.maxRetries);
  // An occurrence counts as finished here only once everything its delivery owes is done: a crash
  // before the dead letter is confirmed must lead to a redelivery that publishes it, not to "already finished".
  switch (fate.kind) {
    case 'ack':
      return finish(handling, envelope);
    case 'requeue':
      logger.warn(`${envelope.jobName} ${envelope.occurrenceId} was interrupted by shutdown; it goes back to the queue`);
      await releaseOccurrence(handling.redeliveries, envelope.occurrenceId);
      return 'requeue';
    case 'retry': {
      const settlement = await retryLater(job.queue, job.settings.maxRetries, envelope, fate);
      if (settlement === 'ack') handling.telemetry.retryScheduled?.(job.definition.name);
      return settlement;
    }
    case 'dead-letter': {
      const settlement = await counted(handling, job, fate.reason, deadLetterJob(envelope, fate));
      return settlement === 'ack' ? finish(handling, envelope) : settlement;
    }
    default:
      return fate satisfies never;
  }
}

/** The occurrence is over and all its delivery owes is done: known as finished here, then in every process, then acked. */
async function finish({ finished, redeliveries }: DeliveryHandling, envelope: JobEnvelope): Promise<Settlement> {
  finished.add(envelope.occurrenceId);
  await redeliveries.shared?.finish(envelope.occurrenceId);
  return 'ack';
}

/**
 * Counts a dead letter once the republisher is done with it: confirmed ('ack'), or rejected so the job
 * queue's own dead-letter exchange takes it. The label is the consumer's job, never the message's name.
 */
async function counted(handling: DeliveryHandling, job: ConsumedJob, reason: DeadLetterReason, deadLettering: Promise<Settlement>): Promise<Settlement> {
  const settlement = await deadLettering;
  if (settlement !== 'requeue') handling.telemetry.deadLettered?.(job.definition.name, reason);
  return settlement;
}
