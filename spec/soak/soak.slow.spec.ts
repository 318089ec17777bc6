// The short soak in CI: a CLI-started worker under AMQP and Redis cuts, SIGKILL, SIGTERM and a memory alarm.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needs } from '../support/services.ts';
import { runSoak } from './run-soak.ts';

describe('soak under faults (short form)', { timeout: 400_000, ...needs('rabbitmq', 'redis') }, () => {
  it('every dispatched occurrence ends with its expected final status; nothing lost; the outbox ends empty', async () => {
    const result = await runSoak({ seconds: Number(process.env['SOAK_SECONDS'] ?? 40), rate: 25, log: (l) => console.log(l) });
    console.log(JSON.stringify(result));
    assert.deepEqual(result.violations, []);
    assert.equal(result.lost, 0);
    assert.ok(result.dispatched > 100);
    assert.ok(Object.values(result.faults).reduce((a, b) => a + b, 0) >= 5, `faults injected: ${JSON.stringify(result.faults)}`);
  });
});
