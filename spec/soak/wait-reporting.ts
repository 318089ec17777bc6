// waitUntilReporting(): before a soak's final graceful stop, every worker process must be reporting again. The
// last fault (a cut connection, a restarted node, a memory alarm) may have ended a moment before, and a worker
// still reconnecting when its stop begins keeps its outbox for the next start, as it should; the soak's "outbox
// empty after a graceful stop" holds only for a worker that can reach the broker during its stop.
import type { SchedulerClient } from '../../lib/scheduler-client/index.ts';

/** Resolves once `processes` distinct instances of `workerId` sent a heartbeat received after this call. */
export async function waitUntilReporting(scheduler: SchedulerClient, workerId: string, processes: number): Promise<void> {
  const since = Date.now();
  const reporting = () => new Set(scheduler.heartbeats(workerId).filter((h) => h.receivedAt > since).map((h) => h.body?.InstanceId)).size;
  await scheduler.waitUntil(() => reporting() >= processes, { what: `a heartbeat from each of ${processes} worker process(es) after the last fault`, timeoutMs: 60_000 });
}
