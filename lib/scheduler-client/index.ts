/**
 * milvaion-worker/testing: the scheduler stand-in for integration tests against a real broker, with no scheduler
 * running (dispatch, collect statuses and logs, cancel).
 * @module milvaion-worker/testing
 */
export {
  createSchedulerClient,
  newOccurrenceId,
  FINAL_STATUSES,
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
  type JobDispatch,
  type DefinitionDispatchOptions,
  type PublishedCancellation,
} from './create-scheduler-client.js';
