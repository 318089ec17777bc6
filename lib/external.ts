/**
 * milvaion-worker/external: jobs that another scheduler runs, in Milvaion's dashboard (Milvaion 10.1's
 * external-scheduler messages, as its Hangfire and Quartz packages send them).
 * @module milvaion-worker/external
 */
export { createExternalReporter } from './external/create-external-reporter.js';
export type { ExternalEnd, ExternalJob, ExternalOccurrenceRef, ExternalOutcome, ExternalReporter, ExternalReporterOptions, ExternalStart, TimeLike } from './external/external-types.js';
