// What is wrong with a rate limit given in code (defineJob's `rateLimit`); the config has its own schema.

const KEYS = new Set(['count', 'periodSeconds', 'scope', 'key', 'maxKeys']);

/** The problems of a `rateLimit` value, one sentence each; none for a valid one or for `undefined`. */
export function rateLimitProblems(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null) return [`expected { count, periodSeconds }, got ${JSON.stringify(value)}`];
  const limit = value as Record<string, unknown>;
  const problems: string[] = [];
  const positive = (name: string, whole: boolean) => {
    const n = limit[name];
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n))) {
      problems.push(`${name} must be a positive ${whole ? 'whole ' : ''}number, got ${JSON.stringify(n)}`);
    }
  };
  positive('count', true);
  positive('periodSeconds', false);
  if (limit['maxKeys'] !== undefined) positive('maxKeys', true);
  const { scope, key } = limit;
  if (scope !== undefined && scope !== 'process' && scope !== 'shared') problems.push(`scope must be 'process' or 'shared', got ${JSON.stringify(scope)}`);
  if (key !== undefined && typeof key !== 'function' && (typeof key !== 'string' || key.trim() === '')) {
    problems.push(`key must be a dot path into the job's data or a function of the data, got ${JSON.stringify(key)}`);
  }
  for (const name of Object.keys(limit)) if (!KEYS.has(name)) problems.push(`unknown option "${name}"`);
  return problems;
}
