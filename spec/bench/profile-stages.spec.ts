// Unit specs of splitByStage() over a small synthetic CPU profile: a library frame counts for the worker stage
// that called it, valibot is validation wherever it is called from, and stacks with no stage fall to V8's buckets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitByStage, type CpuProfile } from './profile-stages.ts';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });

const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', [2, 7, 8, 9]),
    frame(2, 'handleJobDelivery', 'file:///app/node_modules/milvaion-worker/dist/transports/amqp/handle-job-delivery.js', [3, 4]),
    frame(3, 'parse', 'file:///app/node_modules/valibot/dist/index.js'),
    frame(4, 'execute', 'file:///app/node_modules/milvaion-worker/dist/core/engine/create-executor.js', [5]),
    frame(5, 'append', 'file:///app/node_modules/milvaion-worker/dist/outbox/create-outbox.js', [6]),
    frame(6, 'putSync', 'file:///app/node_modules/lmdb/write.js'),
    frame(7, '(idle)', ''),
    frame(8, 'decode', 'file:///app/node_modules/rabbitmq-client/lib/codec.js'),
    frame(9, '(garbage collector)', ''),
  ],
  samples: [3, 3, 6, 6, 6, 4, 7, 7, 7, 7, 8, 9],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('splitByStage', () => {
  it('gives library time to the calling stage, valibot to validation, the rest to V8 buckets; shares leave idle out', () => {
    const split = Object.fromEntries(splitByStage(PROFILE).map((s) => [s.stage, { ms: s.ms, share: Math.round(s.share * 100) }]));
    assert.deepEqual(split, {
      idle: { ms: 4, share: 0 },
      'outbox append': { ms: 3, share: 38 },
      validate: { ms: 2, share: 25 },
      pipeline: { ms: 1, share: 13 },
      'rabbitmq-client (frames, outside a stage)': { ms: 1, share: 13 },
      'garbage collection': { ms: 1, share: 13 },
    });
  });
});
