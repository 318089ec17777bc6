// defineJob's `result` option: kept on the definition, checked at definition time, and typing what `run` returns.
// `npm run check` type-checks this file: each @ts-expect-error must meet the error it announces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob, type JobDefinition } from '../lib/index.ts';

const Invoice = v.object({ total: v.number(), issuedAt: v.pipe(v.string(), v.isoTimestamp(), v.transform((s) => new Date(s))) });

describe('defineJob({ result })', () => {
  it('keeps the result schema; a job without one has none', () => {
    const job = defineJob({ name: 'InvoiceJob', result: Invoice, run: () => ({ total: 1, issuedAt: '2026-03-30T10:00:00.000Z' }) });
    assert.equal(job.result, Invoice);
    assert.equal(defineJob({ name: 'PlainJob', run: () => 1 }).result, undefined);
  });

  it('refuses a result that is not a synchronous valibot schema', () => {
    assert.throws(() => defineJob({ name: 'X', result: { type: 'object' } as unknown as v.GenericSchema, run: () => 1 }), /defineJob\(X\): result must be a synchronous valibot schema/);
    assert.throws(() => defineJob({ name: 'Y', result: v.objectAsync({}) as unknown as v.GenericSchema, run: () => 1 }), /result must be a synchronous valibot schema/);
  });

  it("types run's return value as the result schema's input (type-level: see npm run check)", () => {
    const data = v.object({ amount: v.number() });
    const typed = defineJob({ name: 'TypedJob', data, result: Invoice, run: async (d) => ({ total: d.amount, issuedAt: '2026-03-30T10:00:00.000Z' }) });
    const asDeclared: JobDefinition<{ amount: number }, { total: number; issuedAt: string }> = typed;
    const untyped: JobDefinition<unknown, { rows: number }> = defineJob({ name: 'UntypedJob', run: () => ({ rows: 3 }) });
    // @ts-expect-error: total must be a number
    defineJob({ name: 'WrongTypeJob', result: Invoice, run: () => ({ total: '1', issuedAt: '2026-03-30T10:00:00.000Z' }) });
    // @ts-expect-error: issuedAt is missing
    defineJob({ name: 'MissingFieldJob', result: Invoice, run: async () => ({ total: 1 }) });
    // @ts-expect-error: a string result schema wants a string
    defineJob({ name: 'WrongKindJob', result: v.string(), run: () => 42 });
    assert.ok(asDeclared && untyped);
  });
});

describe('defineJob rateLimit', () => {
  it('keeps a valid limit, its key a dot path or a function typed by the data schema (type-level: see npm run check)', () => {
    const Call = v.object({ customer: v.object({ id: v.string() }) });
    const byFunction = defineJob({ name: 'CallApiJob', data: Call, rateLimit: { count: 10, periodSeconds: 1, scope: 'shared', key: (data) => data.customer.id }, run: () => undefined });
    assert.equal(byFunction.defaults.rateLimit?.count, 10);
    const byPath = defineJob({ name: 'CallApiJob', rateLimit: { count: 1, periodSeconds: 0.5, key: 'customer.id', maxKeys: 100 }, run: () => undefined });
    assert.equal(byPath.defaults.rateLimit?.key, 'customer.id');
    // @ts-expect-error: the key function reads the schema's output, which has no `tenant`
    defineJob({ name: 'CallApiJob', data: Call, rateLimit: { count: 1, periodSeconds: 1, key: (data) => data.tenant }, run: () => undefined });
  });

  it('keeps maxParallelJobsGlobal, and refuses a negative one', () => {
    assert.equal(defineJob({ name: 'ChargeJob', maxParallelJobsGlobal: 4, run: () => undefined }).defaults.maxParallelJobsGlobal, 4);
    assert.throws(() => defineJob({ name: 'ChargeJob', maxParallelJobsGlobal: -1, run: () => undefined }), /maxParallelJobsGlobal must be a non-negative number, got -1/);
  });

  it('refuses a wrong limit, naming every problem', () => {
    assert.throws(
      () => defineJob({ name: 'CallApiJob', rateLimit: { count: 0, periodSeconds: -1, scope: 'global', burst: 2 } as never, run: () => undefined }),
      (error: Error) =>
        error.message ===
        `defineJob(CallApiJob): rateLimit: count must be a positive whole number, got 0; rateLimit: periodSeconds must be a positive number, got -1; rateLimit: scope must be 'process' or 'shared', got "global"; rateLimit: unknown option "burst"`,
    );
  });
});
