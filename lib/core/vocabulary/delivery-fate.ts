// What becomes of a delivery once its execution is over. One vocabulary for the outcome's verdict, the
// sources, the republisher and the consumer: the consumer settles with the three kinds it can carry out.
import type { DeadLetterReason } from './ports.js';

/** The `FailureType` of a dead-lettered occurrence (its log notice and metric), as the .NET SDK names them. */
export type DlqFailureType = 'MaxRetriesExceeded' | 'PermanentFailure' | 'UnhandledException' | 'InvalidJobData' | 'UnknownJob' | 'WorkerCrash';

/** A delivery's fate. */
export type DeliveryFate =
  /** Done: the occurrence is over (or its retry or dead letter was published and confirmed). */
  | { readonly kind: 'ack' }
  /** Given back to the broker: this worker's shutdown interrupted the job, another worker takes it. */
  | { readonly kind: 'requeue' }
  /** Rejected without requeue: our own dead-letter publish failed, the broker's dead-lettering keeps it. */
  | { readonly kind: 'reject' }
  /** Run again later: republished to the delay queue with the next retry count, then acked. */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly retryCount: number }
  /** Moved to the dead-letter queue with a DlqJobMessage, then acked. */
  | {
      readonly kind: 'dead-letter';
      readonly reason: DeadLetterReason;
      readonly failureType: DlqFailureType;
      /** The DlqJobMessage's Exception text. */
      readonly exception: string;
      /** `x-retry-count` and `MaxRetries` headers, as the .NET SDK sets them per case. */
      readonly retryCountHeader: number;
      readonly maxRetriesHeader: number;
    };

/** The fates the consumer carries out on the delivery itself (the others are published first). */
export type Settlement = Extract<DeliveryFate['kind'], 'ack' | 'requeue' | 'reject'>;
