import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../lib/core/util/iso-time.ts';

test('isoTime gives toISOString\'s text across seconds, days, leap days and years', () => {
  const starts = [0, 1, 999, 1000, Date.UTC(2024, 1, 29, 23, 59, 59, 998), Date.UTC(1999, 11, 31, 23, 59, 59, 990), Date.now(), 253_402_300_799_000];
  for (const start of starts) {
    for (let ms = start; ms < start + 25; ms++) assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  }
  // Going back in time after a later second was cached.
  for (const ms of [Date.now(), 5_000, Date.now() - 1, 5_001]) assert.equal(isoTime(ms), new Date(ms).toISOString());
});

test('isoTime cuts fractions of a millisecond as toISOString does', () => {
  for (const ms of [1_700_000_000_123.9, 0.5, 999.999]) assert.equal(isoTime(ms), new Date(ms).toISOString());
});

test('isoTime leaves years outside 0000–9999 to toISOString, and throws for an invalid time as it does', () => {
  for (const ms of [-1, -62_198_755_200_000, 253_402_300_800_000, 8.64e15]) assert.equal(isoTime(ms), new Date(ms).toISOString());
  assert.throws(() => isoTime(Number.NaN), RangeError);
});
