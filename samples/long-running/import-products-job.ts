// A long job that honours cancellation at every step: checks ctx.signal between batches and passes it to every wait.
import { setTimeout as sleep } from 'node:timers/promises';
import * as v from 'valibot';
import { defineJob } from '../../lib/index.ts';

export const importProducts = defineJob({
  name: 'ImportProductsJob',
  data: v.object({ batches: v.pipe(v.number(), v.integer(), v.minValue(1)), batchMs: v.optional(v.number(), 50) }),
  executionTimeoutSeconds: 3600,
  async run(data, ctx) {
    let imported = 0;
    for (let batch = 1; batch <= data.batches; batch++) {
      ctx.signal.throwIfAborted(); // stop before starting the next batch
      await sleep(data.batchMs, undefined, { signal: ctx.signal }); // the "work" itself stops on abort too
      imported += 100;
      ctx.log.info(`Imported batch ${batch}/${data.batches}`, { imported });
    }
    return { imported };
  },
});
