/**
 * milvaion-worker/bullmq: a BullMQ queue's job schedulers and jobs reported to Milvaion as external jobs. bullmq
 * is an optional peer: this entry imports only its types, so it loads nothing of BullMQ but what the app passes in.
 * @module milvaion-worker/bullmq
 */
export { reportBullmq, type BullmqReport, type ReportBullmqOptions } from './bullmq/report-bullmq.js';
