// Typed results through the AMQP worker against the real broker: the registration's JobResultDefinitions, a
// valid result arriving as JSON in Result, and a result failing its schema reported as a permanent Failed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { needs } from '../support/services.ts';

const Quote = v.object({ orderId: v.string(), total: v.number(), currency: v.pipe(v.string(), v.toUpperCase()) });
const runs = new Map<string, number>();
const jobs = [
  // Echoes its (unchecked) data as its result, so each test picks the shape the result schema sees.
  defineJob({ name: 'QuoteJob', maxRetries: 3, baseRetryDelaySeconds: 0.1, result: Quote, run: (d, ctx) => (runs.set(ctx.occurrence.id, (runs.get(ctx.occurrence.id) ?? 0) + 1), d as v.InferInput<typeof Quote>) }),
  defineJob({ name: 'PlainJob', run: () => 'plain' }),
];

describe('AMQP worker: typed results', needs('rabbitmq'), () => {
  let h: AmqpHarness;
  before(async () => {
    h = await createAmqpHarness('results');
    await h.startWorker({ jobs });
  });
  after(async () => h.close());

  it('registers JobResultDefinitions for the jobs with a result schema only', async () => {
    await h.scheduler.waitUntil(() => h.scheduler.registrations(h.workerId).length >= 1, { what: 'the registration' });
    const definitions = h.scheduler.registrations(h.workerId).at(-1)!.body!['JobResultDefinitions'] as Record<string, string>;
    assert.deepEqual(Object.keys(definitions), ['QuoteJob']);
    const schema = JSON.parse(definitions['QuoteJob']!);
    assert.equal(schema.title, 'QuoteJobResult');
    assert.deepEqual(schema.required, ['orderId', 'total', 'currency']);
    assert.equal(schema.properties.total.type, 'number');
  });

  it('sends a valid result as the JSON of the schema output', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'QuoteJob', workerId: h.workerId, data: { orderId: 'A-1', total: 12.5, currency: 'eur' } });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Completed);
    assert.equal(final.body!.Result, '{"orderId":"A-1","total":12.5,"currency":"EUR"}');
    assert.deepEqual(JSON.parse(String(final.body!.Result)), { orderId: 'A-1', total: 12.5, currency: 'EUR' });
  });

  it('reports a result that fails its schema as Failed naming the field, without retrying', async () => {
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'QuoteJob', workerId: h.workerId, data: { orderId: 'A-2', total: 'twelve', currency: 'eur' } });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 10_000 });
    assert.equal(final.body!.Status, JobStatus.Failed);
    assert.equal(final.body!.Result, null);
    assert.match(String(final.body!.Exception), /^Type: InvalidJobResultError\nMessage: Invalid job result for QuoteJob: total: Invalid type: Expected number but received "twelve"\n/);
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters(occurrenceId).length === 1, { what: 'the DLQ message' });
    assert.equal(runs.get(occurrenceId), 1);
    assert.equal(h.scheduler.statuses(occurrenceId).filter((m) => m.body!.Status === JobStatus.Failed).length, 1);
  });
});
