// JSON.stringify for log records: never throws (cycles, BigInt, a throwing toJSON) and never breaks a line, so
// one record is always one line of valid JSON.

/** Serialises `value` on one line; an object met again (a cycle) becomes "[Circular]", BigInt a string, an Error `{ type, message }`. */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Error) return { type: v.name, message: v.message };
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch (error) {
    text = JSON.stringify({ msg: 'A log record could not be serialised', reason: error instanceof Error ? error.message : String(error) });
  }
  // JSON allows U+2028 and U+2029 raw; some line readers split on them.
  return text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
