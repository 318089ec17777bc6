// milvaion-worker/testing: helpers for integration tests against a real broker, with no scheduler running.
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
} from './create-scheduler-client.js';
export { countQueueConsumers } from './count-queue-consumers.js';
export { JobStatus } from '../core/types.js';
