import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonWithComments } from '../../../lib/host/config/parse-json-with-comments.ts';

const parse = (text: string) => parseJsonWithComments(text)._unsafeUnwrap();
const failure = (text: string) => parseJsonWithComments(text)._unsafeUnwrapErr();

describe('parseJsonWithComments', () => {
  it('parses plain JSON exactly as JSON.parse does', () => {
    for (const text of ['{}', '[]', '0', '-1.5e3', '"a\\u00e9\\n"', 'true', 'null', '{"a":[1,{"b":false}],"c":"d"}', ' \n\t{ "x" : [ ] } ']) {
      assert.deepEqual(parse(text), JSON.parse(text), text);
    }
  });

  it('skips // and /* */ comments, but not comment markers inside strings', () => {
    const text = `// heading
      {
        /* block
           over lines */ "url": "amqp://u:p@h//v", // trailing
        "glob": "/* not a comment */"
      } // end`;
    assert.deepEqual(parse(text), { url: 'amqp://u:p@h//v', glob: '/* not a comment */' });
  });

  it('accepts trailing commas in objects and arrays, and a UTF-8 BOM', () => {
    assert.deepEqual(parse('\uFEFF{ "a": [1, 2, ], "b": { "c": 3, }, }'), { a: [1, 2], b: { c: 3 } });
  });

  it('names the line and column of a missing comma', () => {
    assert.deepEqual(failure('{\n  "a": 1\n  "b": 2\n}'), { message: 'expected "," or "}" after the property value', line: 3, column: 3 });
  });

  it('rejects what .NET rejects, each at its position', () => {
    const cases: [string, RegExp, number, number][] = [
      ['{"a": 1,, }', /property name/, 1, 9],
      ['{"a": tru}', /unexpected character "t"/, 1, 7],
      ['{"a": 1', /expected "," or "}"/, 1, 8],
      ['{"a": "x\ny"}', /line break/, 1, 9],
      ['{"a": "x\\q"}', /invalid escape/, 1, 7],
      ['{"a": "open', /unterminated string/, 1, 7],
      ['{\n /* never closed', /unterminated \/\* comment/, 2, 2],
      ['{} extra', /unexpected text after/, 1, 4],
      ['', /no JSON value/, 1, 1],
      ['  // only a comment\n', /no JSON value/, 2, 1],
      ['{a: 1}', /property name in double quotes/, 1, 2],
      ['[1 2]', /expected "," or "]"/, 1, 4],
      ['{"a": 01}', /expected "," or "}"/, 1, 8],
      ['{"a": -}', /invalid number/, 1, 7],
    ];
    for (const [text, message, line, column] of cases) {
      const error = failure(text);
      assert.match(error.message, message, text);
      assert.deepEqual([error.line, error.column], [line, column], text);
    }
  });

  it('rejects duplicate keys compared case-insensitively, as .NET configuration does', () => {
    assert.deepEqual(failure('{\n  "Host": "a",\n  "host": "b"\n}'), { message: 'duplicate key "host" (keys are case-insensitive)', line: 3, column: 3 });
    assert.deepEqual(parse('{"a":{"x":1},"b":{"x":2}}'), { a: { x: 1 }, b: { x: 2 } }, 'the same key in different objects is fine');
  });

  it('rejects a duplicate key in a nested section at the line and column of the second spelling', () => {
    const text = '{\n  "Worker": {\n    "RabbitMq": { "Host": "a",\n      "HOST": "b" }\n  }\n}';
    assert.deepEqual(failure(text), { message: 'duplicate key "HOST" (keys are case-insensitive)', line: 4, column: 7 });
  });

  it('counts lines through block comments, CRLF line endings and a BOM', () => {
    const text = '\uFEFF/* a\r\n   b */\r\n{\r\n  "a": 1, // x\r\n  "b": "open\r\n}';
    assert.deepEqual(failure(text), { message: 'line break or control character inside a string (write \\n)', line: 5, column: 13 });
    assert.deepEqual(failure('{\n\n\n\n  "a": "never closed'), { message: 'unterminated string', line: 5, column: 8 });
    assert.deepEqual(failure('{\n  "a": 1,\n  /* note */ "b": [1,\n    2 3]\n}'), { message: 'expected "," or "]" after the array element', line: 4, column: 7 });
  });

  it('words a fault by what was expected where it occurs', () => {
    const cases: [string, string, number][] = [
      ['{"a\\q": 1}', 'invalid escape sequence in string', 2],
      ['{"a": 1 "b\\q": 2}', 'expected "," or "}" after the property value', 9],
      ['{,}', 'expected a property name in double quotes or "}"', 2],
      ['{"a"', 'expected ":" after the property name', 5],
      ['[1,', 'unexpected end of file', 4],
      ['"a\tb"', 'line break or control character inside a string (write \\n)', 3],
    ];
    for (const [text, message, column] of cases) assert.deepEqual(failure(text), { message, line: 1, column }, text);
  });

  it('drops __proto__, constructor and prototype keys so nothing can be polluted', () => {
    const value = parse('{"__proto__":{"polluted":true},"a":{"constructor":{"prototype":1},"b":1}}') as Record<string, unknown>;
    assert.deepEqual(value, { a: { b: 1 } });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('refuses nesting deep enough to exhaust the stack', () => {
    assert.match(failure('['.repeat(100_000)).message, /nested deeper than 64 levels/);
    assert.deepEqual(failure('{"a":'.repeat(100_000)), { message: 'nested deeper than 64 levels', line: 1, column: 321 });
    assert.equal(JSON.stringify(parse('['.repeat(64) + ']'.repeat(64))), '['.repeat(64) + ']'.repeat(64), '64 levels are fine');
  });
});
