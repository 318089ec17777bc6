/**
 * milvaion-worker/testing: helpers for integration tests against a real broker, with no scheduler running.
 * @module milvaion-worker/testing
 */
export {
  createSchedulerClient,
  newOccurrenceId,
  toDispatchMessage,
  FINAL_STATUSES,
  toDispatchEnvelope,
  type SchedulerClient,
  type SchedulerClientOptions,
  type DispatchOptions,
  type DispatchedJob,
  type RawPublish,
  type CollectedMessage,
  type StatusBody,
  type LogBody,
  type RegistrationBody,
  type HeartbeatBody,
  type WaitOptions,
  type FinalStatusWaitOptions,
  type JobDispatch,
  type DefinitionDispatchOptions,
  type PublishedCancellation,
} from './create-scheduler-client.js';
export { createCancellationPublisher, type CancellationPublisher, type CancellationToPublish } from './create-cancellation-publisher.js';
export { countQueueConsumers } from './count-queue-consumers.js';
export { JobStatus } from '../core/types.js';
