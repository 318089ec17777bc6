// A JSON parser for appsettings files as .NET configuration reads them: `//` and `/* */` comments, trailing
// commas and a UTF-8 BOM are allowed, duplicate keys (compared case-insensitively) are not. Errors carry a line
// and column, which JSON.parse on Node 20 does not always give.
import { err, ok, type Result } from 'neverthrow';

/** Why a JSON text failed to parse, and where (1-based line and column). */
export interface JsonSyntaxError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** Keys that could reach a prototype when the parsed value is merged; dropped, as parseJsonSafely() does. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

class Failure {
  constructor(
    readonly message: string,
    readonly at: number,
  ) {}
}

/** Parses JSON that may contain comments and trailing commas; an error names the line and column. */
export function parseJsonWithComments(text: string): Result<unknown, JsonSyntaxError> {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new Failure(message, at);
  };

  const skipBlanks = (): void => {
    while (i < src.length) {
      const c = src[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '/' && src[i + 1] === '/') {
        const end = src.indexOf('\n', i);
        i = end < 0 ? src.length : end + 1;
      } else if (c === '/' && src[i + 1] === '*') {
        const end = src.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated /* comment');
        i = end + 2;
      } else return;
    }
  };

  const readString = (): string => {
    const start = i;
    let j = i + 1;
    while (j < src.length && src[j] !== '"') {
      if (src[j] === '\\') j += 2;
      else if (src.charCodeAt(j) < 0x20) fail('line break or control character inside a string (write \\n)', j);
      else j++;
    }
    if (j >= src.length) fail('unterminated string', start);
    i = j + 1;
    try {
      // The slice is a complete string literal whose only possible fault is a bad escape.
      return JSON.parse(src.slice(start, j + 1)) as string;
    } catch {
      return fail('invalid escape sequence in string', start);
    }
  };

  const readValue = (depth: number): unknown => {
    skipBlanks();
    const c = src[i];
    if (c === undefined) return fail('unexpected end of file');
    if (c === '{' || c === '[') {
      if (depth >= MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
      return c === '{' ? readObject(depth + 1) : readArray(depth + 1);
    }
    if (c === '"') return readString();
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      if (!m) return fail('invalid number');
      i += m[0].length;
      return Number(m[0]);
    }
    for (const [word, value] of LITERALS) {
      if (src.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`unexpected character ${JSON.stringify(c)}`);
  };

  const readObject = (depth: number): Record<string, unknown> => {
    i++;
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (;;) {
      skipBlanks();
      if (src[i] === '}') {
        i++;
        return out;
      }
      if (src[i] !== '"') fail(seen.size === 0 ? 'expected a property name in double quotes or "}"' : 'expected a property name in double quotes');
      const keyAt = i;
      const key = readString();
      // .NET configuration keys are case-insensitive, so "Host" and "host" in one object collide.
      if (seen.has(key.toLowerCase())) fail(`duplicate key ${JSON.stringify(key)} (keys are case-insensitive)`, keyAt);
      seen.add(key.toLowerCase());
      skipBlanks();
      if (src[i] !== ':') fail('expected ":" after the property name');
      i++;
      const value = readValue(depth);
      if (!FORBIDDEN_KEYS.has(key)) out[key] = value;
      skipBlanks();
      if (src[i] === ',') i++;
      else if (src[i] !== '}') fail('expected "," or "}" after the property value');
    }
  };

  const readArray = (depth: number): unknown[] => {
    i++;
    const out: unknown[] = [];
    for (;;) {
      skipBlanks();
      if (src[i] === ']') {
        i++;
        return out;
      }
      out.push(readValue(depth));
      skipBlanks();
      if (src[i] === ',') i++;
      else if (src[i] !== ']') fail('expected "," or "]" after the array element');
    }
  };

  try {
    skipBlanks();
    if (i >= src.length) fail('the file holds no JSON value (write {} for no settings)');
    const value = readValue(0);
    skipBlanks();
    if (i < src.length) fail('unexpected text after the JSON value');
    return ok(value);
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    return err({ message: error.message, ...toLineColumn(src, error.at) });
  }
}

function toLineColumn(src: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < at && k < src.length; k++) {
    if (src[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}
