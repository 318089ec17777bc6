// The short cluster soak in CI: three CLI workers on quorum queues of the local three-node cluster while broker
// nodes restart (a job queue's leader first), workers are SIGKILLed and one worker is cut off. Starts the cluster
// when it is not running (and stops it after); fails in CI when the cluster cannot be started.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsLocalCluster } from '../cluster/local-cluster.ts';
import { needs } from '../support/services.ts';
import { runClusterSoak } from './run-cluster-soak.ts';

describe('soak on a three-node cluster (short form)', { timeout: 400_000, ...needsLocalCluster(), ...needs('redis') }, () => {
  it('every dispatched occurrence ends with its expected final status through node restarts and SIGKILLs; nothing lost; the outboxes end empty', async () => {
    const result = await runClusterSoak({ seconds: Number(process.env['SOAK_SECONDS'] ?? 55), rate: 15, log: (l) => console.log(l) });
    console.log(JSON.stringify(result));
    assert.deepEqual(result.violations, []);
    assert.equal(result.lost, 0);
    assert.ok(result.dispatched > 100, `dispatched ${result.dispatched}`);
    assert.ok(result.faults['leaderRestart']! + result.faults['nodeRestart']! >= 1, `a broker node restarted: ${JSON.stringify(result.faults)}`);
    assert.ok(result.faults['sigkill']! >= 1, `a worker SIGKILLed: ${JSON.stringify(result.faults)}`);
  });
});
