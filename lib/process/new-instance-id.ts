// The id of one worker process, as the .NET SDK forms it: `{workerId}-{8 hex}`.
import { randomBytes } from 'node:crypto';

/** Makes a .NET-style instance id: `{workerId}-{8 hex}`. */
export function newInstanceId(workerId: string): string {
  return `${workerId}-${randomBytes(4).toString('hex')}`;
}
