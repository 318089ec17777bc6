// waitUntilReporting(): before a soak's final graceful stop, every worker process must be reporting again. The
// last fault (a cut connection, a restarted node, a memory alarm) may have ended a moment before, and a worker
// still reconnecting when its stop begins keeps its outbox for the next start, as it should; the soak's "outbox
// empty after a graceful stop" holds only for a worker that can reach the broker during its stop. A worker that
// stays silent is a violation of its own (the scheduler would mark it gone and its running occurrences zombies),
// said with what the scheduler last heard from each instance, and so is a process that exited on its own.
import type { SchedulerClient } from '../../lib/scheduler-client/index.ts';
import type { SoakWorker } from './soak-worker.ts';

/** How long the worker processes get to send a heartbeat after the last fault. */
const WAIT_MS = 60_000;

/** What {@link waitUntilReporting} says about a silence besides the scheduler's view. */
export interface SilenceContext {
  /** The last fault of the soak. */
  readonly lastFault?: { readonly name: string; readonly endedAt: number } | undefined;
  /** The broker's view of the heartbeat queue (its messages and consumers), when the soak can ask for it. */
  readonly heartbeatQueue?: () => string;
}

/**
 * Waits until each of `workers` (instances of `workerId`) sent a heartbeat received after this call, for up to
 * 60 s; resolves with the violations: a line when they did not (with the scheduler's, the broker's and each
 * worker's own view), and one for each exit of a process nobody stopped.
 */
export async function waitUntilReporting(scheduler: SchedulerClient, workerId: string, workers: readonly SoakWorker[], context: SilenceContext = {}): Promise<string[]> {
  const { lastFault } = context;
  const exits = workers.flatMap((w, i) => w.ownExits.map((exit) => `worker ${i + 1}: ${exit} without being stopped`));
  const processes = workers.length;
  const since = Date.now();
  const reporting = () => new Set(scheduler.heartbeats(workerId).filter((h) => h.receivedAt > since).map((h) => h.body?.InstanceId)).size;
  const what = `a heartbeat from each of ${processes} worker process(es) after the last fault`;
  try {
    await scheduler.waitUntil(() => reporting() >= processes, { what, timeoutMs: WAIT_MS });
    return exits;
  } catch {
    const fault = lastFault === undefined ? 'no fault ran' : `the last fault (${lastFault.name}) ended ${toSeconds(since - lastFault.endedAt)} s before the wait`;
    const broker = context.heartbeatQueue === undefined ? [] : [`heartbeat queue: ${context.heartbeatQueue()}`];
    const own = await Promise.all(workers.map(async (w, i) => `worker ${i + 1} says ${await w.health()}`));
    return [...exits, [`no ${what} within ${WAIT_MS / 1000} s`, fault, describeLastHeartbeats(scheduler, workerId, since), ...broker, ...own].join('; ')];
  }
}

/** Each instance's last heartbeat and registration, in seconds before `since` (negative: after it). */
function describeLastHeartbeats(scheduler: SchedulerClient, workerId: string, since: number): string {
  const last = new Map<string, { heartbeat?: number; registration?: number }>();
  for (const h of scheduler.heartbeats(workerId)) last.set(String(h.body?.InstanceId), { ...last.get(String(h.body?.InstanceId)), heartbeat: h.receivedAt });
  for (const r of scheduler.registrations(workerId)) last.set(String(r.body?.InstanceId), { ...last.get(String(r.body?.InstanceId)), registration: r.receivedAt });
  const ago = (at: number | undefined) => (at === undefined ? 'never' : `${toSeconds(since - at)} s before the wait`);
  const lines = [...last].map(([instance, at]) => `${instance}: last heartbeat ${ago(at.heartbeat)}, last registration ${ago(at.registration)}`);
  return lines.length === 0 ? 'no instance ever reported' : lines.join('; ');
}

function toSeconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
