// Which occurrence statuses end an occurrence, as Milvaion's `IsFinalStatus` decides (release 10.1,
// `S/Utils/MilvaionSdkExtensions.cs`): every status but Queued and Running.
import { JobStatus } from '../vocabulary/types.js';

/** Whether an occurrence with this status is over: Completed, Failed, Cancelled, TimedOut, Unknown or Skipped. */
export function isFinalStatus(status: JobStatus): boolean {
  switch (status) {
    case JobStatus.Queued:
    case JobStatus.Running:
      return false;
    case JobStatus.Completed:
    case JobStatus.Failed:
    case JobStatus.Cancelled:
    case JobStatus.TimedOut:
    case JobStatus.Unknown:
    case JobStatus.Skipped:
      return true;
    default:
      // A new status must be placed above: this line stops compiling until it is.
      return status satisfies never;
  }
}
