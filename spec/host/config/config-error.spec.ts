import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../lib/host/config/config-error.ts';

describe('ConfigError', () => {
  it('formats one line per problem, naming the path and the source', () => {
    const error = new ConfigError([
      { path: 'Worker:RabbitMQ:Port', message: 'expected a whole number from 1 to 65535, found "x"', source: 'env Worker__RabbitMQ__Port' },
      { path: 'Worker:WorkerId', message: 'expected a name' },
      { path: '', message: 'file not found', source: 'worker.json' },
    ]);
    assert.equal(
      error.format(),
      [
        'Invalid worker configuration (3 problems):',
        '  - Worker:RabbitMQ:Port: expected a whole number from 1 to 65535, found "x" (from env Worker__RabbitMQ__Port)',
        '  - Worker:WorkerId: expected a name',
        '  - worker.json: file not found',
      ].join('\n'),
    );
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'ConfigError');
    assert.equal(error.message, error.format());
  });

  it('counts a single problem in the singular', () => {
    assert.match(new ConfigError([{ path: 'Worker', message: 'm' }]).format(), /^Invalid worker configuration \(1 problem\):/);
  });
});
