import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toEnvConfigEntries } from '../../../lib/host/config/to-env-config-entries.ts';

describe('toEnvConfigEntries', () => {
  it('reads Worker__… and JobConsumers__… variables in any casing, double underscore as the separator', () => {
    assert.deepEqual(toEnvConfigEntries({ Worker__RabbitMQ__Port: '5673', JOBCONSUMERS__SendEmailJob__MaxRetries: '7' }), [
      { path: ['JOBCONSUMERS', 'SendEmailJob', 'MaxRetries'], value: '7', source: 'env JOBCONSUMERS__SendEmailJob__MaxRetries' },
      { path: ['Worker', 'RabbitMQ', 'Port'], value: '5673', source: 'env Worker__RabbitMQ__Port' },
    ]);
  });

  it('accepts the ":" form too, and keeps empty values', () => {
    assert.deepEqual(toEnvConfigEntries({ 'Worker:Redis:Password': '' }), [{ path: ['Worker', 'Redis', 'Password'], value: '', source: 'env Worker:Redis:Password' }]);
  });

  it('ignores other sections, bare section names and unset variables', () => {
    assert.deepEqual(toEnvConfigEntries({ PATH: '/bin', Logging__LogLevel__Default: 'Debug', WORKER: 'x', Worker: 'y', Worker__WorkerId: undefined, WorkerX__A: '1' }), []);
  });

  it('orders the entries by variable name, so the result does not depend on the environment order', () => {
    const a = toEnvConfigEntries({ worker__WorkerId: 'b', Worker__WorkerId: 'a' });
    const b = toEnvConfigEntries({ Worker__WorkerId: 'a', worker__WorkerId: 'b' });
    assert.deepEqual(a, b);
  });
});
