// The deliveries held unacked while their jobs run, and a watchdog that warns before one of them outlives
// the broker's consumer_timeout.
import type { AsyncMessage } from 'rabbitmq-client';
import type { TechnicalLogger } from '../../core/types.js';

/** Options of {@link createHeldDeliveries}. */
export interface HeldDeliveriesOptions {
  /** The broker's consumer_timeout. */
  readonly consumerTimeoutMs: number;
  readonly logger: TechnicalLogger;
}

/** The deliveries whose jobs run now. */
export interface HeldDeliveries {
  /** Records a delivery whose job starts; `label` names the job in the warning. */
  hold(message: AsyncMessage, label: string): void;
  /** Forgets a delivery whose job ended. */
  release(message: AsyncMessage): void;
  readonly size: number;
  /** Starts the watchdog. */
  start(): void;
  /** Stops the watchdog. */
  close(): void;
}

/** Creates the held deliveries of a source; the watchdog runs from `start()` to `close()`. */
export function createHeldDeliveries(options: HeldDeliveriesOptions): HeldDeliveries {
  const { consumerTimeoutMs, logger } = options;
  const held = new Map<AsyncMessage, { since: number; label: string; warned: boolean }>();
  let watchdog: NodeJS.Timeout | undefined;
  return {
    hold(message, label) {
      held.set(message, { since: Date.now(), label, warned: false });
    },
    release(message) {
      held.delete(message);
    },
    get size() {
      return held.size;
    },
    start() {
      // A delivery unacked past consumer_timeout makes the broker close the channel and redeliver: say so
      // before it happens, so an operator can raise the broker's timeout or shorten the job's.
      watchdog = setInterval(() => {
        const now = Date.now();
        for (const entry of held.values()) {
          if (!entry.warned && now - entry.since > consumerTimeoutMs * 0.8) {
            entry.warned = true;
            logger.warn(`${entry.label} has held its delivery for ${Math.round((now - entry.since) / 60_000)} min; RabbitMQ's consumer_timeout (${Math.round(consumerTimeoutMs / 60_000)} min) will close the channel and redeliver it`);
          }
        }
      }, Math.min(60_000, consumerTimeoutMs / 10));
      watchdog.unref();
    },
    close() {
      clearInterval(watchdog);
    },
  };
}
