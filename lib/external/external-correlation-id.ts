// The CorrelationId of an external execution: a name-based UUID (version 5 layout, SHA-1) of the source, the job
// id and the external occurrence id. The same execution always gets the same id, so a repeated event (a restart,
// a second observer) lands on the same Milvaion occurrence instead of creating another.
import { createHash } from 'node:crypto';

/** The UUID of one execution of an external scheduler's job. */
export function externalCorrelationId(source: string, externalJobId: string, externalOccurrenceId: string): string {
  const hash = createHash('sha1').update(`milvaion-worker external\0${source}\0${externalJobId}\0${externalOccurrenceId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
