// What each public entry point loads: milvaion-worker/amqp must not load lmdb (a native module) or the redis
// client until an outbox or a cancellation subscriber is created, and milvaion-worker/bullmq loads no BullMQ
// (an optional peer) of its own. Checked in a fresh child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { TSX_IMPORT } from '../support/tsx-loader.ts';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));

/** Runs `script` (an ES module body) in a child under tsx; returns its stdout lines. */
function child(script: string): string[] {
  const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, [...TSX_IMPORT, '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n');
}

const LOADED = `
import { createRequire } from 'node:module';
const loaded = () => Object.keys(createRequire(import.meta.url).cache);
const has = (name) => loaded().some((file) => file.includes('/node_modules/' + name + '/'));
`;

describe('entry points load only what they need', { timeout: 120_000 }, () => {
  it('milvaion-worker/amqp loads neither lmdb nor redis until they are used', () => {
    const [before, afterStore, afterRedis] = child(`${LOADED}
await import(${JSON.stringify(`${LIB}amqp.ts`)});
console.log(JSON.stringify({ lmdb: has('lmdb'), redis: has('redis') }));
const { mkdtempSync } = await import('node:fs');
const store = (await import(${JSON.stringify(`${LIB}outbox/open-outbox-store.ts`)})).openOutboxStore({ directory: mkdtempSync('/tmp/entry-weight-') });
await store.close();
console.log(JSON.stringify({ lmdb: has('lmdb') }));
const redis = (await import(${JSON.stringify(`${LIB}control/redis/create-redis-cancellation.ts`)})).createRedisCancellation({ settings: { connectionString: '127.0.0.1:1' }, registry: { cancel: () => false }, logger: { debug() {}, info() {}, warn() {}, error() {} } });
console.log(JSON.stringify({ redis: has('redis') }));
process.exit(0);
`);
    assert.deepEqual(JSON.parse(before!), { lmdb: false, redis: false });
    assert.deepEqual(JSON.parse(afterStore!), { lmdb: true }, 'opening a store loads lmdb (so the check above can see it)');
    assert.deepEqual(JSON.parse(afterRedis!), { redis: true }, 'creating a subscriber loads redis');
  });

  it('milvaion-worker/bullmq loads no BullMQ (the app passes its own objects), broker, store or Redis client', () => {
    const [before, afterBullmq] = child(`${LOADED}
await import(${JSON.stringify(`${LIB}bullmq.ts`)});
console.log(JSON.stringify({ bullmq: has('bullmq'), ioredis: has('ioredis'), lmdb: has('lmdb'), redis: has('redis'), 'rabbitmq-client': has('rabbitmq-client') }));
await import('bullmq');
console.log(JSON.stringify({ bullmq: has('bullmq') }));
process.exit(0);
`);
    assert.deepEqual(JSON.parse(before!), { bullmq: false, ioredis: false, lmdb: false, redis: false, 'rabbitmq-client': false });
    assert.deepEqual(JSON.parse(afterBullmq!), { bullmq: true }, 'importing bullmq shows (so the check above can see it)');
  });
});
