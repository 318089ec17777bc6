// Transient vs permanent errors: PermanentJobError and retryIf stop retries; everything else is retried with backoff.
import * as v from 'valibot';
import { defineJob, PermanentJobError } from '../../lib/index.ts';

/** What the (simulated) payment API answers with when a call fails. */
export class UpstreamError extends Error {
  constructor(readonly status: number) {
    super(`Payment API answered ${status}`);
    this.name = 'UpstreamError';
  }
}

export const chargeInvoice = defineJob({
  name: 'ChargeInvoiceJob',
  data: v.object({
    invoiceId: v.string(),
    // Simulation knobs: the API answers `failWith` on the first `failures` attempts.
    failWith: v.optional(v.number(), 503),
    failures: v.optional(v.number(), 0),
  }),
  maxRetries: 3,
  baseRetryDelaySeconds: 0.05,
  // A 4xx means our request is wrong: retrying cannot help. Timeouts, 5xx and network errors are transient.
  retryIf: (error) => !(error instanceof UpstreamError && error.status >= 400 && error.status < 500),
  async run(data, ctx) {
    if (data.invoiceId.startsWith('void-')) throw new PermanentJobError(`Invoice ${data.invoiceId} was voided`);
    if (ctx.occurrence.retryCount < data.failures) throw new UpstreamError(data.failWith);
    ctx.log.info(`Charged ${data.invoiceId} on attempt ${ctx.occurrence.retryCount + 1}`);
    return 'charged';
  },
});
