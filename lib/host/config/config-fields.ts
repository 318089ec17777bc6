// The field builders of the appsettings.json schemas: numbers, flags, text and names coerced as .NET binding does
// (environment variables arrive as strings), and sections that name every unknown key; each message says what
// was found.
import * as v from 'valibot';
import { closestKey } from './closest-key.js';

type Issue = v.BaseIssue<unknown>;

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

export function show(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (typeof input === 'string') return JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input);
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (Array.isArray(input)) return 'a list';
  if (input === null) return 'null';
  return typeof input === 'object' ? 'a section' : `a ${typeof input}`;
}

export const expecting = (what: string, render: (input: unknown) => string = show) => (issue: Issue) => `expected ${what}, found ${render(issue.input)}`;
const blankToUndefined = (x: unknown): unknown => (typeof x === 'string' && x.trim() === '' ? undefined : x);
export const toStringish = (x: unknown): unknown => (typeof x === 'number' || typeof x === 'boolean' ? String(x) : x);
const toNumberish = (x: unknown): unknown => (typeof x === 'string' && NUMERIC.test(x.trim()) ? Number(x.trim()) : x);
const toBooleanish = (x: unknown): unknown => {
  const t = typeof x === 'string' ? x.trim().toLowerCase() : undefined;
  return t === 'true' ? true : t === 'false' ? false : x;
};

/** A whole number in a range; a blank string counts as unset (environment variables cannot be deleted). */
export function wholeNumber(min: number, max?: number, why = '') {
  const m = expecting(`${max === undefined ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`}${why}`);
  const checked = v.pipe(v.number(m), v.integer(m), v.minValue(min, m), v.maxValue(max ?? Number.MAX_SAFE_INTEGER, m));
  return v.optional(v.pipe(v.unknown(), v.transform(blankToUndefined), v.transform(toNumberish), v.optional(checked)));
}

export const port = () => wholeNumber(1, 65535);

/** A number above 0, fractions allowed; a blank string counts as unset. */
export function positiveNumber() {
  const m = expecting('a number above 0');
  const checked = v.pipe(v.number(m), v.check((n) => Number.isFinite(n) && n > 0, m));
  return v.optional(v.pipe(v.unknown(), v.transform(blankToUndefined), v.transform(toNumberish), v.optional(checked)));
}

export function flag() {
  const m = expecting('true or false');
  return v.optional(v.pipe(v.unknown(), v.transform(blankToUndefined), v.transform(toBooleanish), v.optional(v.boolean(m))));
}

/** Any text, blank included (numbers and booleans become text, as .NET binds them). */
export function freeText(render: (input: unknown) => string = show) {
  return v.optional(v.pipe(v.unknown(), v.transform(toStringish), v.string(expecting('text', render))));
}

/** Text that must not be blank, optionally with a further rule described in `what`. */
export function nonBlankText(what: string, rule: (s: string) => boolean = () => true) {
  const m = expecting(what);
  return v.optional(v.pipe(v.unknown(), v.transform(toStringish), v.string(m), v.check((s) => s.trim() !== '' && rule(s), m)));
}

/** One of a fixed set of names, matched case-insensitively (plus aliases) and returned in canonical spelling. */
export function oneOf<const T extends string>(names: readonly T[], aliases: Readonly<Record<string, T>> = {}) {
  const lookup = new Map<string, T>([...names.map((n) => [n.toLowerCase(), n] as const), ...Object.entries(aliases)]);
  const m = expecting(`one of ${names.join(', ')}`);
  const named = v.pipe(
    v.string(m),
    v.check((s) => lookup.has(s.trim().toLowerCase()), m),
    v.transform((s) => lookup.get(s.trim().toLowerCase()) as T),
  );
  return v.optional(v.pipe(v.unknown(), v.transform(blankToUndefined), v.optional(named)));
}

/** A section whose unknown keys are errors, every one of them: a typo there would otherwise silently do nothing. */
export function section<const E extends v.ObjectEntries>(name: string, entries: E) {
  const known = Object.keys(entries);
  // strictObject() stops at the first unknown key; this check reports them all, even when other keys fail too.
  return v.pipe(
    v.looseObject(entries, expecting(`the ${name} section (an object)`)),
    v.rawCheck(({ dataset, addIssue }) => {
      const input: unknown = dataset.value;
      if (typeof input !== 'object' || input === null) return;
      for (const [key, value] of Object.entries(input)) {
        if (Object.hasOwn(entries, key)) continue;
        const near = closestKey(key, known);
        const message = `unknown key ${JSON.stringify(key)}${near ? ` (did you mean "${near}"?)` : ''}; known keys: ${known.join(', ')}`;
        addIssue({ message, input: key, path: [{ type: 'object', origin: 'key', input: input as Record<string, unknown>, key, value }] });
      }
    }),
  );
}
