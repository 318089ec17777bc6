// CallPartnerApiJob: a job that calls an outside HTTP API which allows 5 calls a second per merchant. The rate
// limit keeps every process of the worker under it (Scope Shared in appsettings.json; here in code per process),
// and a call the API still refuses with 429 is retried later by the broker.
import * as v from 'valibot';
import { defineJob } from '../../lib/index.ts';

/** Where the partner API lives (a local stand-in in the sample's spec). */
export const partnerApi = { url: process.env['PARTNER_API_URL'] ?? 'http://127.0.0.1:8089' };

export const callPartnerApi = defineJob({
  name: 'CallPartnerApiJob',
  data: v.object({ merchantId: v.string(), orderId: v.string() }),
  // Per merchant: one busy merchant does not hold back the others. 5 per 1.25 s, not per 1 s: the limit spaces the
  // starts, and each call reaches the API after a delay that varies (the first one opens a connection), so two
  // calls 1 s apart at the start can arrive 0.95 s apart. appsettings.json's RateLimit replaces it.
  rateLimit: { count: 5, periodSeconds: 1.25, key: (data) => data.merchantId },
  maxRetries: 5,
  async run(data, ctx) {
    const response = await fetch(`${partnerApi.url}/merchants/${encodeURIComponent(data.merchantId)}/orders/${encodeURIComponent(data.orderId)}/confirm`, { method: 'POST', signal: ctx.signal });
    // Over the quota anyway (another client shares it): a plain error, so the retry middleware tries again later.
    if (response.status === 429) throw new Error(`the partner API refused the call (429) for ${data.merchantId}`);
    if (!response.ok) throw new Error(`the partner API answered ${response.status}`);
    ctx.log.info('confirmed', { merchantId: data.merchantId, orderId: data.orderId });
    return (await response.json()) as { confirmed: string };
  },
});
