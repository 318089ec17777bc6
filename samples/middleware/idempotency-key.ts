// A custom middleware in a few lines: an idempotency key in the job data makes a duplicate run a skip.
import * as v from 'valibot';
import { defineJob, defineSetup, skipped, type Middleware } from '../../lib/index.ts';

/** Skips an occurrence whose `idempotencyKey` already ran (keep `seen` in Redis or a DB when several workers share jobs). */
export function idempotencyKey(seen: Set<string> = new Set()): Middleware {
  return async function idempotencyKey(ctx, next) {
    let key: unknown;
    try {
      key = (JSON.parse(ctx.envelope.jobData ?? '{}') as { idempotencyKey?: unknown }).idempotencyKey;
    } catch {
      return next(); // not JSON: the job's own validation reports it
    }
    if (typeof key !== 'string') return next();
    if (seen.has(key)) return skipped(`idempotency key ${key} was already processed`);
    seen.add(key); // claimed before running, so a concurrent duplicate is skipped too
    const outcome = await next();
    if (outcome.isErr()) seen.delete(key); // failed or waiting for a retry: a later attempt may run
    return outcome;
  };
}

export const middlewareSetup = defineSetup({ use: [idempotencyKey()] });

export const postPayment = defineJob({
  name: 'PostPaymentJob',
  data: v.object({ idempotencyKey: v.string(), amount: v.pipe(v.number(), v.minValue(0)) }),
  run(data, ctx) {
    ctx.log.info(`Posted ${data.amount}`);
    return { posted: data.amount };
  },
});
