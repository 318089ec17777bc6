// A JSON parser for appsettings files as .NET configuration reads them, built on jsonc-parser's visit(): `//` and
// `/* */` comments, trailing commas and a UTF-8 BOM are allowed, duplicate keys (compared case-insensitively) are
// not. The first error stops the parse and is reported with a 1-based line and column and a message saying what
// was expected there.
import { printParseErrorCode, visit, type ParseError } from 'jsonc-parser';
import { err, ok, type Result } from 'neverthrow';
import { isForbiddenKey } from '../../core/util/is-forbidden-key.js';

/** Why a JSON text failed to parse, and where (1-based line and column). */
export interface JsonSyntaxError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** Deeper nesting is refused before jsonc-parser's recursive descent could exhaust the stack. */
const MAX_DEPTH = 64;

/** An open object or array (or the root slot), and what the next token in it must be. */
interface Frame {
  readonly kind: 'root' | 'object' | 'array';
  readonly value: Record<string, unknown> | unknown[];
  readonly seen: Set<string>;
  key: string;
  expect: 'key' | 'colon' | 'value' | 'comma';
}

/** Thrown from a visitor callback to stop visit() at the first error. */
class Failure {
  constructor(
    readonly message: string,
    readonly at: number,
  ) {}
}

/** Parses JSON that may contain comments and trailing commas; an error names the line and column. */
export function parseJsonWithComments(text: string): Result<unknown, JsonSyntaxError> {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const result: unknown[] = [];
  const root: Frame = { kind: 'root', value: result, seen: new Set(), key: '', expect: 'value' };
  const stack = [root];
  const top = (): Frame => stack[stack.length - 1] ?? root;
  const add = (value: unknown): void => {
    const frame = top();
    if (Array.isArray(frame.value)) frame.value.push(value);
    else if (!isForbiddenKey(frame.key)) frame.value[frame.key] = value;
    frame.expect = 'comma';
  };
  const open = (kind: 'object' | 'array', offset: number): void => {
    if (stack.length > MAX_DEPTH) throw new Failure(`nested deeper than ${MAX_DEPTH} levels`, offset);
    const value = kind === 'object' ? {} : [];
    add(value);
    stack.push({ kind, value, seen: new Set(), key: '', expect: kind === 'object' ? 'key' : 'value' });
  };
  // At the end of the text visit() ends an unclosed container before reporting it: keep it open for the message.
  const close = (offset: number): void => {
    if (offset < src.length) stack.pop();
  };
  try {
    visit(
      src,
      {
        onObjectBegin: (offset) => open('object', offset),
        onArrayBegin: (offset) => open('array', offset),
        onObjectEnd: close,
        onArrayEnd: close,
        onObjectProperty: (key, offset) => {
          const frame = top();
          // .NET configuration keys are case-insensitive, so "Host" and "host" in one object collide.
          if (frame.seen.has(key.toLowerCase())) throw new Failure(`duplicate key ${JSON.stringify(key)} (keys are case-insensitive)`, offset);
          frame.seen.add(key.toLowerCase());
          frame.key = key;
          frame.expect = 'colon';
        },
        onSeparator: (separator) => {
          top().expect = separator === ',' && top().kind === 'object' ? 'key' : 'value';
        },
        onLiteralValue: add,
        onError: (error, offset, length) => {
          throw toFailure(src, { error, offset, length }, top());
        },
      },
      { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false },
    );
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    return err({ message: error.message, ...toLineColumn(src, error.at) });
  }
  return ok(result[0]);
}

/** Words jsonc-parser's error codes as the parser always has: lexical faults by kind, the rest by what was expected. */
function toFailure(src: string, { error, offset, length }: ParseError, frame: Frame): Failure {
  const code = printParseErrorCode(error);
  const inString = frame.expect === 'key' || frame.expect === 'value';
  switch (code) {
    case 'UnexpectedEndOfComment':
      return new Failure('unterminated /* comment', offset);
    case 'UnexpectedEndOfString':
    case 'InvalidCharacter':
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode': {
      if (!inString) break;
      // A string ends at a raw line break; a control character is reported where it stands, not at the quote.
      const control = firstControlCharacter(src, offset, offset + length + (code === 'UnexpectedEndOfString' ? 1 : 0));
      if (control >= 0) return new Failure('line break or control character inside a string (write \\n)', control);
      return new Failure(code === 'UnexpectedEndOfString' ? 'unterminated string' : 'invalid escape sequence in string', offset);
    }
    case 'UnexpectedEndOfNumber':
    case 'InvalidNumberFormat':
      if (frame.expect === 'value') return new Failure('invalid number', offset);
      break;
    case 'InvalidCommentToken':
    case '<unknown ParseErrorCode>':
      return new Failure(code, offset);
    case 'InvalidSymbol':
    case 'ValueExpected':
    case 'PropertyNameExpected':
    case 'ColonExpected':
    case 'CommaExpected':
    case 'CloseBraceExpected':
    case 'CloseBracketExpected':
    case 'EndOfFileExpected':
      break;
  }
  // Structural errors, and lexical ones where no string or number could stand, are worded by what was expected.
  return new Failure(unexpected(src, frame, offset), offset);
}

/** The message for a token that is not what `frame` expects next. */
function unexpected(src: string, frame: Frame, offset: number): string {
  const c = src[offset];
  switch (frame.expect) {
    case 'key':
      return frame.seen.size === 0 ? 'expected a property name in double quotes or "}"' : 'expected a property name in double quotes';
    case 'colon':
      return 'expected ":" after the property name';
    case 'comma':
      if (frame.kind === 'root') return 'unexpected text after the JSON value';
      return frame.kind === 'object' ? 'expected "," or "}" after the property value' : 'expected "," or "]" after the array element';
    case 'value':
      if (c === undefined) return frame.kind === 'root' ? 'the file holds no JSON value (write {} for no settings)' : 'unexpected end of file';
      return c === '-' ? 'invalid number' : `unexpected character ${JSON.stringify(c)}`;
  }
}

/** The index of the first raw control character in a string token, skipping escaped characters as JSON does. */
function firstControlCharacter(src: string, from: number, to: number): number {
  for (let k = from + 1; k < to && k < src.length; k += src[k] === '\\' ? 2 : 1) if (src.charCodeAt(k) < 0x20) return k;
  return -1;
}

/** A 0-based offset as a 1-based line and column; only "\n" starts a line, as before. */
function toLineColumn(src: string, at: number): { line: number; column: number } {
  const before = src.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - (before.lastIndexOf('\n') + 1) + 1 };
}
