import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { defineJob } from '../../lib/index.ts';
import { parseJobData, parseJsonSafely } from '../../lib/core/engine/parse-job-data.ts';

const typed = defineJob({
  name: 'TypedJob',
  data: v.object({ to: v.pipe(v.string(), v.email()), count: v.number(), nested: v.optional(v.object({ flag: v.boolean() })) }),
  run: () => undefined,
});
const untyped = defineJob({ name: 'UntypedJob', run: () => undefined });

describe('parseJobData', () => {
  it('absent or empty jobData means {} (the scheduler normalises the same way)', () => {
    assert.deepEqual(parseJobData(untyped, undefined)._unsafeUnwrap(), {});
    assert.deepEqual(parseJobData(untyped, '   ')._unsafeUnwrap(), {});
  });

  it('returns the schema output for valid data', () => {
    const data = parseJobData(typed, '{"to":"a@b.io","count":2,"extra":1}')._unsafeUnwrap();
    assert.deepEqual(data, { to: 'a@b.io', count: 2 });
  });

  it('lists every invalid field with its path', () => {
    const issues = parseJobData(typed, '{"to":"nope","nested":{"flag":"yes"}}')._unsafeUnwrapErr();
    assert.equal(issues.length, 3);
    assert.ok(issues.some((i) => i.startsWith('to: ') && /email/i.test(i)));
    assert.ok(issues.some((i) => i.startsWith('count: ')));
    assert.ok(issues.some((i) => i.startsWith('nested.flag: ')));
  });

  it('reports JSON that does not parse', () => {
    const issues = parseJobData(untyped, '{"a":')._unsafeUnwrapErr();
    assert.match(issues[0]!, /^jobData is not valid JSON/);
  });

  it('drops __proto__, constructor and prototype keys at any depth, so nothing can be polluted', () => {
    const parsed = parseJsonSafely('{"__proto__":{"polluted":true},"a":{"constructor":{"prototype":{"polluted":true}},"b":1}}')._unsafeUnwrap() as Record<string, unknown>;
    assert.deepEqual(parsed, { a: { b: 1 } });
    const merged = Object.assign({}, parsed) as Record<string, unknown>;
    assert.equal(merged['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  it('turns deeply nested JSON into an error instead of a crash', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const result = parseJobData(untyped, deep);
    assert.equal(result.isErr() || result.isOk(), true); // never throws
  });
});
