// The registration's JobResultDefinitions: one JSON-schema string per job that declares a result schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob, type AnyJobDefinition } from '../../../lib/index.ts';
import { resolveSettings } from '../../../lib/core/engine/resolve-settings.ts';
import { toJobResultDefinition, toRegistrationMessage } from '../../../lib/transports/amqp/to-presence-messages.ts';

const who = { workerId: 'billing-worker', instanceId: 'billing-worker-1a2b3c4d' };
const facts = { hostName: 'h', ipAddress: '10.0.0.1', processorCount: 2, osVersion: 'Linux', runtimeVersion: 'Node.js v20', version: '0.1.0' };
const InvoiceResult = v.object({
  invoiceId: v.pipe(v.string(), v.uuid()),
  total: v.number(),
  currency: v.pipe(v.string(), v.toUpperCase()),
  notes: v.optional(v.array(v.string())),
});

function register(jobs: readonly AnyJobDefinition[]): Record<string, unknown> {
  const registered = jobs.map((definition) => ({ definition, settings: resolveSettings(definition), routingPattern: `billing-worker.${definition.name}.*` }));
  return toRegistrationMessage(who, registered, facts, { maxParallelJobs: 4, heartbeatIntervalSeconds: 5 });
}

describe('JobResultDefinitions in the registration', () => {
  const invoice = defineJob({ name: 'InvoiceJob', data: v.object({ orderId: v.string() }), result: InvoiceResult, run: (d) => ({ invoiceId: d.orderId, total: 1, currency: 'eur' }) });
  const plain = defineJob({ name: 'PlainJob', run: () => 'done' });
  const count = defineJob({ name: 'CountJob', result: v.pipe(v.number(), v.integer()), run: () => 3 });

  it('holds a draft-07 JSON-schema string for each job with a result schema, and no key for the others', () => {
    const definitions = register([invoice, plain, count])['JobResultDefinitions'] as Record<string, string>;
    assert.deepEqual(Object.keys(definitions), ['InvoiceJob', 'CountJob']);
    assert.deepEqual(JSON.parse(definitions['InvoiceJob']!), {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'InvoiceJobResult',
      type: 'object',
      properties: {
        invoiceId: { type: 'string', format: 'uuid' },
        total: { type: 'number' },
        currency: { type: 'string' },
        notes: { type: 'array', items: { type: 'string' } },
      },
      required: ['invoiceId', 'total', 'currency'],
    });
    assert.deepEqual(JSON.parse(definitions['CountJob']!), { $schema: 'http://json-schema.org/draft-07/schema#', title: 'CountJobResult', type: 'integer' });
  });

  it('is an empty object when no job declares a result (as the .NET worker sends it), next to JobDataDefinitions', () => {
    const message = register([plain]);
    assert.deepEqual(message['JobResultDefinitions'], {});
    assert.deepEqual(message['JobDataDefinitions'], {});
  });

  it('describes the output of a transforming schema, which is what the worker sends', () => {
    const parsed = defineJob({ name: 'ParsedJob', result: v.pipe(v.string(), v.transform(Number), v.number()), run: () => '42' });
    assert.deepEqual(JSON.parse(toJobResultDefinition(parsed)!), { $schema: 'http://json-schema.org/draft-07/schema#', title: 'ParsedJobResult', type: 'number' });
    assert.equal(toJobResultDefinition(plain), undefined);
  });
});
