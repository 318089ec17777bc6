// The queues the scheduler-side client collects from, optionally prefixed to isolate a test run.
import { MilvaionNames } from '../transports/amqp/milvaion-names.js';

/** The collected queue names with `prefix` in front (statuses, logs, registrations, heartbeats, dead letters, and the two external-scheduler queues). */
export function toQueueNames(prefix: string) {
  return {
    statuses: prefix + MilvaionNames.statusUpdatesQueue,
    logs: prefix + MilvaionNames.workerLogsQueue,
    registrations: prefix + MilvaionNames.workerRegistrationQueue,
    heartbeats: prefix + MilvaionNames.workerHeartbeatQueue,
    deadLetters: prefix + MilvaionNames.failedOccurrencesQueue,
    externalRegistrations: prefix + MilvaionNames.externalJobRegistrationQueue,
    externalOccurrences: prefix + MilvaionNames.externalJobOccurrenceQueue,
  };
}
