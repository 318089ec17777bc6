// The outbox's timer: the pressure check every second, and the retention of finished-occurrence and redelivery
// records every CleanupIntervalHours, pruned in the background.
import { WorkerDefaults } from '../core/vocabulary/defaults.js';
import type { TechnicalLogger } from '../core/vocabulary/types.js';
import type { OutboxStore } from './open-outbox-store.js';

const D = WorkerDefaults.offlineResilience;

/** Every second: the pressure check; every CleanupIntervalHours: the retention of finished occurrences. */
export function startHousekeeping(store: OutboxStore, settings: { readonly recordRetentionDays?: number | undefined; readonly cleanupIntervalHours?: number | undefined }, checkPressure: () => void, logger: TechnicalLogger): NodeJS.Timeout {
  const retentionMs = (settings.recordRetentionDays ?? D.recordRetentionDays) * 86_400_000;
  let lastCleanup = Date.now();
  const timer = setInterval(() => {
    checkPressure();
    if (Date.now() - lastCleanup >= (settings.cleanupIntervalHours ?? D.cleanupIntervalHours) * 3_600_000) {
      lastCleanup = Date.now();
      pruneOld(store, Date.now() - retentionMs, logger);
    }
  }, 1000);
  timer.unref();
  return timer;
}

/** Forgets finished-occurrence records older than the retention, in the background. */
function pruneOld(store: OutboxStore, olderThan: number, logger: TechnicalLogger): void {
  void store
    .pruneFinished(olderThan)
    .then((n) => n > 0 && logger.debug(`Outbox: forgot ${n} finished occurrences older than the retention`))
    .catch((error: unknown) => logger.warn('Outbox retention cleanup failed', error));
}
