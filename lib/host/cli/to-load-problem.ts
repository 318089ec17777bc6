// Turns what a job module threw while it loaded into the lines `check` and `run` print: a syntax error as
// file:line:column and the compiler's words, an error thrown at import as its message and the stack frames of
// the user's own files (Node's loader, tsx and this package are left out), and Node's loader-internal
// messages (require(esm) cycles) as what the user can change.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../../core/util/error-message.js';

/** This package's root: frames in it are the loader's, not the user's. */
const OWN_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAX_FRAMES = 8;

/** Describes why `file` could not be loaded, relative to `cwd`: one line, then the user's stack frames if any. */
export function toLoadProblem(error: unknown, file: string, cwd: string): string {
  const name = relative(file, cwd);
  const message = errorMessage(error);
  // esbuild (through tsx): "Transform failed with 1 error:\n/abs/file.ts:3:82: ERROR: Expected "}" but found ";"",
  // its column counted from 0: printed from 1, as Node and tsc print theirs.
  const compiled = [...message.matchAll(/^(.+?):(\d+):(\d+): ERROR: (.+)$/gm)];
  if (compiled.length > 0) {
    return compiled.map(([, where, line, column, text]) => `${relative(compiledFile(where!, file), cwd)}:${line}:${Number(column) + 1}: ${text!}${hint(text!)}`).join('\n    ');
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_REQUIRE_CYCLE_MODULE' || /Cannot require\(\) ES Module .* in a cycle/.test(message)) {
    return `${name}: Node could not load it: it has ES module syntax (import/export) but Node treats it as CommonJS here. Give it the .mjs extension, or set "type": "module" in its package.json.`;
  }
  if (error instanceof SyntaxError) {
    const at = syntaxErrorLocation(error);
    if (at !== undefined) return `${relative(at.file, cwd)}:${at.line}${at.column === undefined ? '' : `:${at.column}`}: SyntaxError: ${message}${hint(message)}`;
    return `${name}: SyntaxError: ${message} (node --check ${name} shows the line)`;
  }
  const frames = userFrames(error, cwd);
  const title = error instanceof Error ? `${error.name}: ${message}` : message;
  return [`${name}: threw while loading: ${title}`, ...frames.map((f) => `      at ${f}`)].join('\n');
}

/** tsx hands esbuild a .mts or .cts file under its .ts name (and .mjs as .js): name the file that was loaded. */
function compiledFile(where: string, file: string): string {
  const named = clean(where);
  return named === file.replace(/\.[mc]([jt]s)$/, '.$1') ? file : named;
}

function hint(text: string): string {
  if (/Top-level await is currently not supported with the "cjs" output format/.test(text)) {
    return ' (in a CommonJS file; top-level await needs an ES module: use the .mts extension, or set "type": "module" in package.json)';
  }
  if (/Cannot use import statement outside a module|Unexpected token 'export'/.test(text)) {
    return ' (package.json makes this file CommonJS: use the .mjs extension, or set "type": "module" in package.json)';
  }
  return '';
}

/** Node's CommonJS compiler puts the place first in the stack: "/abs/file.js:3\n<source line>\n    ^^^". */
function syntaxErrorLocation(error: SyntaxError): { file: string; line: string; column: number | undefined } | undefined {
  const match = /^(\S.*?):(\d+)\n(.*)\n( *)\^/.exec(error.stack ?? '');
  if (match === null) return undefined;
  return { file: match[1]!, line: match[2]!, column: match[4]!.length + 1 };
}

/** The frames of the user's files: no node: internals, nothing under node_modules, nothing of this package. */
function userFrames(error: unknown, cwd: string): string[] {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const frame = /^\s+at (.*)$/.exec(line)?.[1];
    if (frame === undefined) continue;
    // "fn (/abs/file.ts:3:9)" or "/abs/file.ts:3:9" or "file:///abs/file.mjs:4:1"; node:internal frames do not match.
    const location = /(?:^|\()((?:file:\/\/)?\/[^()]*?|[A-Za-z]:\\[^()]*?):\d+:\d+\)?$/.exec(frame)?.[1];
    if (location === undefined) continue;
    const file = clean(location);
    if (file.includes(`${path.sep}node_modules${path.sep}`) || file.startsWith(OWN_ROOT)) continue;
    frames.push(frame.replace(location, relative(file, cwd)));
    if (frames.length === MAX_FRAMES) break;
  }
  return frames;
}

/** A file URL or path, without the query tsx adds to the modules it loads (`?namespace=…`). */
function clean(location: string): string {
  const bare = location.replace(/\?[^:)]*/, '');
  return bare.startsWith('file://') ? fileURLToPath(bare) : bare;
}

function relative(file: string, cwd: string): string {
  const full = clean(file);
  const rel = path.relative(cwd, full);
  return rel.startsWith('..') || path.isAbsolute(rel) ? full : rel;
}
