// Bad input against a running worker: thousands of malformed job messages of every kind. The worker stays up,
// every message is dead-lettered with a reason (or reported Failed where it names an occurrence), nothing is
// polluted, and a valid job afterwards completes. FUZZ_ROUNDS raises the count for a longer run.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob, JobStatus } from '../../lib/index.ts';
import { MilvaionNames } from '../../lib/amqp.ts';
import type { AmqpWorker } from '../../lib/amqp.ts';
import { createAmqpHarness, type AmqpHarness } from '../support/amqp-harness.ts';
import { needs } from '../support/services.ts';

const ROUNDS = Number(process.env['FUZZ_ROUNDS'] ?? 100);
let ran = 0;
const jobs = [
  defineJob({ name: 'EchoJob', data: v.object({ text: v.string() }), run: (d) => (ran++, d.text) }),
];

/** One malformed message per kind; each returns the raw publish arguments. */
function malformed(workerId: string, i: number): { body: Buffer | string; headers: Record<string, unknown>; contentType?: string }[] {
  const occ = randomUUID();
  const id = randomUUID();
  const good = { id, jobNameInWorker: 'EchoJob', jobData: JSON.stringify({ text: 'x' }) };
  const ghost = (extra: Record<string, unknown>) => JSON.stringify({ id, jobNameInWorker: `GhostJob${i % 7}`, jobData: '{}', ...extra });
  const kinds: { body: Buffer | string; headers?: Record<string, unknown>; contentType?: string }[] = [
    { body: `{"id": "${id}", "jobNameInWorker": `, contentType: 'application/json' }, // truncated JSON
    { body: '' }, // empty
    { body: Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0xc3, 0x28]) }, // not UTF-8
    { body: JSON.stringify([good]), headers: { CorrelationId: occ } }, // an array
    { body: JSON.stringify({ id: 123, jobNameInWorker: {}, jobData: 42, executionTimeoutSeconds: 'x', version: 'v' }), headers: { CorrelationId: occ } }, // wrong types
    { body: JSON.stringify(good) }, // no occurrence id anywhere
    { body: JSON.stringify(good), headers: { CorrelationId: 12345, OccurrenceId: { nested: true } } }, // ids of wrong AMQP types
    { body: ghost({}), headers: { CorrelationId: occ, 'x-retry-count': i % 2 ? 'abc' : [1, 2], MaxRetries: { t: 1 } } }, // garbage counters, unknown job
    { body: ghost({ jobData: '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}', __proto__: { polluted: 1 } }), headers: { CorrelationId: randomUUID() } },
    { body: '['.repeat(100_000) + ']'.repeat(100_000), headers: { CorrelationId: randomUUID() } }, // deeply nested
    { body: JSON.stringify({ ...good, jobData: JSON.stringify({ text: 'x'.repeat(100_000) }) }), headers: { CorrelationId: randomUUID() } }, // above MaxMessageBytes
    { body: JSON.stringify({ ...good, jobData: '{"text": 5}' }), headers: { CorrelationId: randomUUID(), 'x-retry-count': -5 } }, // invalid data → Failed + DLQ
  ];
  return kinds.map((m) => ({ ...m, headers: { ...m.headers, RoutingKey: `${workerId}.echo.job` } }));
}

describe('fuzz: malformed job messages', { timeout: 600_000, ...needs('rabbitmq') }, () => {
  let h: AmqpHarness;
  let worker: AmqpWorker;
  before(async () => {
    h = await createAmqpHarness('fuzz');
    worker = await h.startWorker({ jobs, maxMessageBytes: 64 * 1024 });
  });
  after(async () => h.close());

  it(`dead-letters ${ROUNDS * 12} malformed messages with reasons, stays up, and runs a valid job afterwards`, async () => {
    const routingKey = `${h.workerId}.echo.job`;
    let sent = 0;
    for (let i = 0; i < ROUNDS; i++) {
      await Promise.all(
        malformed(h.workerId, i).map((m) =>
          h.scheduler.publishRaw({
            exchange: MilvaionNames.jobsExchange,
            routingKey,
            body: m.body,
            properties: { durable: true, headers: m.headers, ...(m.contentType === undefined ? {} : { contentType: m.contentType }) },
          }),
        ),
      );
      sent += 12;
    }
    await h.scheduler.waitUntil(() => h.scheduler.deadLetters().length >= sent, { what: `${sent} dead letters`, timeoutMs: 300_000 });
    const dead = h.scheduler.deadLetters();
    assert.equal(dead.length, sent, 'exactly one dead letter per malformed message');
    // Each one says why: our reason header on raw dead letters, the Exception on DlqJobMessages.
    for (const d of dead) {
      const reason = String(d.headers['x-dead-letter-reason'] ?? (d.body as Record<string, unknown> | undefined)?.['Exception'] ?? '');
      assert.ok(reason.length > 0, `a dead letter without a reason: ${d.text.slice(0, 80)}`);
    }
    const reasons = dead.map((d) => String(d.headers['x-dead-letter-reason'] ?? ''));
    assert.ok(reasons.some((r) => /above the limit/.test(r)));
    assert.ok(reasons.some((r) => /not JSON/.test(r)));
    assert.ok(reasons.some((r) => /occurrence id/.test(r)));
    assert.ok(reasons.some((r) => /empty/.test(r)));
    // The ones that name an occurrence and a job name also got their Failed status.
    const failed = h.scheduler.statuses().filter((s) => s.body?.Status === JobStatus.Failed);
    assert.ok(failed.some((s) => /No job registered for type: GhostJob/.test(String(s.body!.Exception))));
    assert.ok(failed.some((s) => /InvalidJobDataError/.test(String(s.body!.Exception))));
    assert.equal(ran, 0, 'no malformed message ran a job');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(worker.health().consuming, true);
    const { occurrenceId } = await h.scheduler.dispatch({ jobName: 'EchoJob', workerId: h.workerId, data: { text: 'still here' } });
    const final = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 30_000 });
    assert.equal(final.body!.Result, 'still here');
    assert.ok(!h.logger.texts().some((l) => l.includes('guest:guest')), 'no credentials in the logs');
  });
});
