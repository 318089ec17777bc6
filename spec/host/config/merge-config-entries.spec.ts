import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeConfigEntries } from '../../../lib/host/config/merge-config-entries.ts';
import type { ConfigEntry } from '../../../lib/host/config/to-config-entries.ts';

const e = (path: string, value: unknown, source = 'file'): ConfigEntry => ({ path: path.split(':'), value, source });

describe('mergeConfigEntries', () => {
  it('builds one PascalCase tree; a later entry wins, keys matching case-insensitively', () => {
    const { tree, sources } = mergeConfigEntries([e('worker:rabbitmq:host', 'a'), e('Worker:RabbitMQ:Port', 1), e('WORKER:RABBITMQ:HOST', 'b', 'env X')]);
    assert.deepEqual(tree, { Worker: { RabbitMQ: { Host: 'b', Port: 1 } } });
    assert.deepEqual([...sources], [
      ['Worker:RabbitMQ:Host', 'env X'],
      ['Worker:RabbitMQ:Port', 'file'],
    ]);
  });

  it('keeps the first spelling of a job name or an unknown key', () => {
    const { tree } = mergeConfigEntries([e('JobConsumers:SendEmailJob:MaxRetries', 3), e('JOBCONSUMERS:SENDEMAILJOB:MaxRetries', '7', 'env'), e('Worker:Hots', 'x'), e('worker:HOTS', 'y')]);
    assert.deepEqual(tree, { JobConsumers: { SendEmailJob: { MaxRetries: '7' } }, Worker: { Hots: 'y' } });
  });

  it('lets a value replace an earlier section and a section replace an earlier value', () => {
    assert.deepEqual(mergeConfigEntries([e('Worker:Redis:ConnectionString', 'x'), e('Worker:Redis', 'off')]).tree, { Worker: { Redis: 'off' } });
    assert.deepEqual(mergeConfigEntries([e('Worker:Redis', 'off'), e('Worker:Redis:Database', 1)]).tree, { Worker: { Redis: { Database: 1 } } });
  });

  it('treats an empty section as present without hiding keys below it, in either order', () => {
    assert.deepEqual(mergeConfigEntries([e('Worker:Redis', {})]).tree, { Worker: { Redis: {} } });
    assert.deepEqual(mergeConfigEntries([e('Worker:Redis:Database', 1), e('Worker:Redis', {})]).tree, { Worker: { Redis: { Database: 1 } } });
    assert.deepEqual(mergeConfigEntries([e('Worker:Redis', {}), e('Worker:Redis:Database', 1)]).tree, { Worker: { Redis: { Database: 1 } } });
  });

  it('drops keys that could reach a prototype', () => {
    const { tree } = mergeConfigEntries([e('Worker:__proto__:polluted', true), e('JobConsumers:constructor:MaxRetries', 1)]);
    assert.deepEqual(tree, {});
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});
