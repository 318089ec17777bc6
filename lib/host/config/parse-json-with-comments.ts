// A JSON parser for appsettings files as .NET configuration reads them: `//` and `/* */` comments, trailing
// commas and a UTF-8 BOM are allowed, duplicate keys (compared case-insensitively) are not. Errors carry a line
// and column, which JSON.parse on Node 20 does not always give.
import { err, ok, type Result } from 'neverthrow';
import { isForbiddenKey } from '../../core/is-forbidden-key.js';

/** Why a JSON text failed to parse, and where (1-based line and column). */
export interface JsonSyntaxError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** Keys that could reach a prototype when the parsed value is merged; dropped, as parseJsonSafely() does. */
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
  const p: Cursor = { src: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, i: 0 };
  try {
    skipBlanks(p);
    if (p.i >= p.src.length) fail(p, 'the file holds no JSON value (write {} for no settings)');
    const value = readValue(p, 0);
    skipBlanks(p);
    if (p.i < p.src.length) fail(p, 'unexpected text after the JSON value');
    return ok(value);
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    return err({ message: error.message, ...toLineColumn(p.src, error.at) });
  }
}

/** The text being parsed (BOM already removed) and the index of the next character to read. */
interface Cursor {
  readonly src: string;
  i: number;
}

function fail(p: Cursor, message: string, at = p.i): never {
  throw new Failure(message, at);
}

function skipBlanks(p: Cursor): void {
  const { src } = p;
  while (p.i < src.length) {
    const c = src[p.i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') p.i++;
    else if (c === '/' && src[p.i + 1] === '/') {
      const end = src.indexOf('\n', p.i);
      p.i = end < 0 ? src.length : end + 1;
    } else if (c === '/' && src[p.i + 1] === '*') {
      const end = src.indexOf('*/', p.i + 2);
      if (end < 0) fail(p, 'unterminated /* comment');
      p.i = end + 2;
    } else return;
  }
}

function readString(p: Cursor): string {
  const { src } = p;
  const start = p.i;
  let j = p.i + 1;
  while (j < src.length && src[j] !== '"') {
    if (src[j] === '\\') j += 2;
    else if (src.charCodeAt(j) < 0x20) fail(p, 'line break or control character inside a string (write \\n)', j);
    else j++;
  }
  if (j >= src.length) fail(p, 'unterminated string', start);
  p.i = j + 1;
  try {
    // The slice is a complete string literal whose only possible fault is a bad escape.
    return JSON.parse(src.slice(start, j + 1)) as string;
  } catch {
    return fail(p, 'invalid escape sequence in string', start);
  }
}

function readValue(p: Cursor, depth: number): unknown {
  skipBlanks(p);
  const c = p.src[p.i];
  if (c === undefined) return fail(p, 'unexpected end of file');
  if (c === '{' || c === '[') {
    if (depth >= MAX_DEPTH) fail(p, `nested deeper than ${MAX_DEPTH} levels`);
    return c === '{' ? readObject(p, depth + 1) : readArray(p, depth + 1);
  }
  if (c === '"') return readString(p);
  if (c === '-' || (c >= '0' && c <= '9')) {
    NUMBER.lastIndex = p.i;
    const m = NUMBER.exec(p.src);
    if (!m) return fail(p, 'invalid number');
    p.i += m[0].length;
    return Number(m[0]);
  }
  for (const [word, value] of LITERALS) {
    if (p.src.startsWith(word, p.i)) {
      p.i += word.length;
      return value;
    }
  }
  return fail(p, `unexpected character ${JSON.stringify(c)}`);
}

function readObject(p: Cursor, depth: number): Record<string, unknown> {
  p.i++;
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (;;) {
    skipBlanks(p);
    if (p.src[p.i] === '}') {
      p.i++;
      return out;
    }
    if (p.src[p.i] !== '"') fail(p, seen.size === 0 ? 'expected a property name in double quotes or "}"' : 'expected a property name in double quotes');
    const keyAt = p.i;
    const key = readString(p);
    // .NET configuration keys are case-insensitive, so "Host" and "host" in one object collide.
    if (seen.has(key.toLowerCase())) fail(p, `duplicate key ${JSON.stringify(key)} (keys are case-insensitive)`, keyAt);
    seen.add(key.toLowerCase());
    skipBlanks(p);
    if (p.src[p.i] !== ':') fail(p, 'expected ":" after the property name');
    p.i++;
    const value = readValue(p, depth);
    if (!isForbiddenKey(key)) out[key] = value;
    skipBlanks(p);
    if (p.src[p.i] === ',') p.i++;
    else if (p.src[p.i] !== '}') fail(p, 'expected "," or "}" after the property value');
  }
}

function readArray(p: Cursor, depth: number): unknown[] {
  p.i++;
  const out: unknown[] = [];
  for (;;) {
    skipBlanks(p);
    if (p.src[p.i] === ']') {
      p.i++;
      return out;
    }
    out.push(readValue(p, depth));
    skipBlanks(p);
    if (p.src[p.i] === ',') p.i++;
    else if (p.src[p.i] !== ']') fail(p, 'expected "," or "]" after the array element');
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
