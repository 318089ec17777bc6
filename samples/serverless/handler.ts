// The serverless handler both hosts share: the same jobs as the worker samples, retries in-process, no broker.
import { createHandler } from '../../lib/serverless.ts';
import { chargeInvoice } from '../errors/charge-invoice-job.ts';
import { generateReport } from '../reports/generate-report-job.ts';

export const handle = createHandler({ jobs: [generateReport, chargeInvoice] });
