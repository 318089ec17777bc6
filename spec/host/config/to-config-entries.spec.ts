import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isConfigSection, isPlainObject, toConfigEntries } from '../../../lib/host/config/to-config-entries.ts';

describe('toConfigEntries', () => {
  it('flattens the Worker and JobConsumers sections into key paths and drops the others', () => {
    const entries = toConfigEntries(
      { Logging: { LogLevel: { Default: 'Information' } }, AllowedHosts: '*', worker: { WorkerId: 'w', RabbitMQ: { Port: 5672 } }, JobConsumers: { A: { MaxRetries: 1 } } },
      'appsettings.json',
    );
    assert.deepEqual(entries, [
      { path: ['worker', 'WorkerId'], value: 'w', source: 'appsettings.json' },
      { path: ['worker', 'RabbitMQ', 'Port'], value: 5672, source: 'appsettings.json' },
      { path: ['JobConsumers', 'A', 'MaxRetries'], value: 1, source: 'appsettings.json' },
    ]);
  });

  it('keeps an empty section as a marker, skips nulls, and keeps arrays and scalars as values', () => {
    assert.deepEqual(toConfigEntries({ Worker: { Redis: {}, Heartbeat: null, Odd: [1], Name: false } }, 's'), [
      { path: ['Worker', 'Redis'], value: {}, source: 's' },
      { path: ['Worker', 'Odd'], value: [1], source: 's' },
      { path: ['Worker', 'Name'], value: false, source: 's' },
    ]);
  });

  it('splits keys that are themselves paths, as .NET does ("RabbitMQ:Host")', () => {
    assert.deepEqual(toConfigEntries({ 'Worker:RabbitMQ': { 'Host:Extra': 'x' }, 'Logging:LogLevel': 1 }, 's'), [{ path: ['Worker', 'RabbitMQ', 'Host', 'Extra'], value: 'x', source: 's' }]);
  });
});

describe('isConfigSection / isPlainObject', () => {
  it('recognise the sections in any casing and only plain objects as sections', () => {
    assert.ok(isConfigSection('WORKER') && isConfigSection('jobconsumers') && !isConfigSection('Logging'));
    assert.ok(isPlainObject({}) && isPlainObject(Object.create(null)));
    assert.ok(!isPlainObject([]) && !isPlainObject(null) && !isPlainObject(new Date()) && !isPlainObject('x'));
  });
});
