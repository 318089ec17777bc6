// closeWorker(): the graceful stop, bounded in every state. Intake stops; running jobs get the grace period,
// then are aborted (their deliveries go back to the queue); the IsStopping heartbeat and the outbox drain run
// only while the broker is there, each within what is left of the budget; the connections close last, and
// are destroyed if they do not close in time. Resolves with what was left behind.
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { CloseReport, WorkerParts } from './worker-parts.js';

/** How long the goodbye heartbeat and each connection close may take before the stop moves on. */
const STEP_MS = 2000;
/** How long job functions aborted at the end of the grace period get to return. */
const ABORT_SETTLE_MS = 1000;

/** Options of a worker's `close()`. */
export interface CloseOptions {
  /** For running jobs (default Worker:ShutdownTimeoutSeconds). */
  readonly graceMs?: number;
  /** For the outbox to empty (default 10 s, and never past `budgetMs`). */
  readonly drainMs?: number;
  /** The whole stop, from its start (default: grace + drain + 5 s). */
  readonly budgetMs?: number;
}

/** Stops the worker's parts in order; never waits for a broker that is away. */
export async function closeWorker(p: WorkerParts, opts: CloseOptions): Promise<CloseReport> {
  const graceMs = opts.graceMs ?? WorkerDefaults.shutdownTimeoutSeconds * 1000;
  const drainMs = opts.drainMs ?? 10_000;
  const started = Date.now();
  const end = started + (opts.budgetMs ?? graceMs + drainMs + 5000);
  let abortedJobs = 0;
  // A start still waiting for the broker ends now (its timeout timer would hold the process).
  p.startup?.fail(new Error('The worker was closed before it had started'));
  p.startup?.dispose();
  // Consumer.close() stops new deliveries and waits for running handlers; abort them after the grace.
  const drained = p.source.close();
  const timer = setTimeout(() => {
    abortedJobs = p.source.inFlight;
    p.shutdown.abort();
  }, graceMs);
  await drained;
  clearTimeout(timer);
  // Jobs that ignored their abort (timeout, cancel) may still run and log: the outbox stays open for them
  // until they return or the grace period ends; a line written after that is dropped with a debug line.
  // Aborted at the end of the grace period, a job that honours its signal returns within milliseconds and may
  // still log on its way out: it gets up to ABORT_SETTLE_MS, so its last lines go out now, not at the next start.
  const settled = await p.executor.settled(Math.max(0, started + graceMs - Date.now()) + (abortedJobs > 0 ? ABORT_SETTLE_MS : 0));
  if (!settled) p.logger.warn('Stopping with job functions still running that ignored their abort signal; lines they write from now on are dropped');
  const online = p.publishConnection.ready;
  await within(p.presence.stop({ goodbye: online && p.registered }), STEP_MS);
  await p.redis?.close();
  await p.shared?.close();
  await p.rateLimits?.close();
  // With the broker away, closing the connections first ends every publish waiting for it at once.
  if (!online) await closeConnections(p);
  // The drain gets what is left of the budget less a step for the closes (at least a second: a short grace
  // period must not leave a healthy broker's last entries behind).
  const outboxKept = await closeOutbox(p, online ? Math.min(drainMs, Math.max(1000, end - Date.now() - STEP_MS)) : 0);
  // rabbitmq-client's Connection.close() waits for every publisher's channel: close them all first.
  await within(Promise.all([p.reporting.publisher.close(), p.reporting.relayPublisher?.close()]), STEP_MS);
  // Once only: rabbitmq-client's close() of a connection already closing waits for a socket event that has passed.
  if (online) await closeConnections(p);
  p.logger.info(`Worker ${p.identity.instanceId} stopped`);
  return { abortedJobs, unsettledJobs: !settled, outboxKept };
}

/**
 * Drains the outbox for `drainMs` and closes it. A relay stuck on a publish that never confirms (a blocked
 * connection) is freed by destroying the connections. Resolves with the entries kept for the next start.
 */
async function closeOutbox(p: WorkerParts, drainMs: number): Promise<number> {
  const { outbox } = p.reporting;
  if (!outbox) return 0;
  let kept: number | undefined;
  const closing = outbox.close({ drainMs }).then((r) => (kept = r.kept));
  if (!(await within(closing, drainMs + STEP_MS))) {
    for (const c of [p.connection, p.publishConnection]) c.unsafeDestroy();
    await within(closing, STEP_MS);
  }
  return kept ?? pendingOf(outbox);
}

function pendingOf(outbox: NonNullable<WorkerParts['reporting']['outbox']>): number {
  try {
    return outbox.health().pending;
  } catch {
    return 0; // the store closed after all
  }
}

/** Closes both connections, destroying any that has not closed within a step. */
async function closeConnections(p: WorkerParts): Promise<void> {
  const connections = [p.connection, p.publishConnection];
  const closed = await within(Promise.all(connections.map((c) => c.close())), STEP_MS);
  if (!closed) for (const c of connections) c.unsafeDestroy();
}

/** Waits for `work` up to `ms`; true when it ended (rejections count as ended). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const ended = await Promise.race([work.then(() => true, () => true), timedOut]);
  clearTimeout(timer);
  return ended;
}
