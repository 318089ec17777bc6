// isoTime(): `new Date(ms).toISOString()` without a Date per call. A job's three messages carry seven
// timestamps, and toISOString was 2.7 % of the worker's CPU at concurrency 100 (bench:profile). The text up to
// the second changes once a second, so it is kept and the milliseconds appended.

/** The last second formatted, and its text up to and including the dot. */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** Years 0000–9999 (toISOString's plain form); outside them, and for non-finite input, toISOString decides. */
const MAX_PLAIN_MS = 253_402_300_800_000;

/** The same text as `new Date(ms).toISOString()` (fractions of a millisecond are cut, as there). */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < MAX_PLAIN_MS)) return new Date(ms).toISOString();
  const whole = Math.floor(ms);
  const second = Math.floor(whole / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = whole - second * 1000;
  return `${cachedPrefix}${String(milli).padStart(3, '0')}Z`;
}
