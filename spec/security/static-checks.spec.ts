// Static checks of lib/: job data can never reach eval, Function, a dynamic import or a shell.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [path.join(dir, e.name)] : []));
const sources = files(LIB).map((file) => ({ file: path.relative(LIB, file), text: readFileSync(file, 'utf8') }));

describe('static security checks of lib/', () => {
  it('never uses eval or the Function constructor', () => {
    for (const { file, text } of sources) assert.doesNotMatch(text, /\beval\s*\(|new\s+Function\s*\(|\bFunction\s*\(\s*['"`]/, file);
  });

  it('imports dynamically only where modules named by the operator are loaded', () => {
    const dynamic = sources.filter(({ text }) => /\bimport\s*\(/.test(text)).map(({ file }) => file).sort();
    assert.deepEqual(dynamic, ['host/cli/load-module.ts']);
  });

  // createRequire is the other way to load a module at run time: tracing() uses it to load the optional
  // `@opentelemetry/api` peer only when called, int32-headers to reach rabbitmq-client's codec, load-module to
  // find the optional tsx peer, the outbox store and create-redis-client (the one place a Redis client is made,
  // for the listener and the cancellation publisher alike) to load lmdb and redis on first use.
  // Each names a constant module, so no message or config value can choose what is loaded.
  it('loads modules with createRequire only in the allowed files, by constant names', () => {
    const requiring = sources.filter(({ text }) => /\bcreateRequire\b/.test(text)).map(({ file }) => file).sort();
    assert.deepEqual(requiring, ['control/redis/create-redis-client.ts', 'host/cli/load-module.ts', 'middleware/tracing.ts', 'outbox/open-store-files.ts', 'transports/amqp/int32-headers.ts']);
    for (const file of requiring) {
      const text = sources.find((s) => s.file === file)!.text;
      const calls = [...text.matchAll(/(?:\brequire|createRequire\([^)]*\))(?:\.resolve)?\s*\(\s*([^)]*)\)/g)]
        .map((m) => m[1]!.trim())
        // load-module's tsx.require(file, …) loads the operator's CommonJS TypeScript module, as its import() does the others.
        .filter((argument) => !(file === 'host/cli/load-module.ts' && argument === 'file, import.meta.url'));
      assert.ok(calls.length > 0, file);
      for (const argument of calls) assert.match(argument, /^'[@\w./-]+'$/, `${file}: require(${argument})`);
    }
  });

  it('starts processes only to probe the outbox store, with fixed arguments and no shell', () => {
    const spawning = sources.filter(({ text }) => /child_process/.test(text)).map(({ file }) => file);
    assert.deepEqual(spawning, ['outbox/open-store-files.ts']);
    const store = sources.find(({ file }) => file === 'outbox/open-store-files.ts')!.text;
    assert.doesNotMatch(store, /shell\s*:\s*true|\bexec\(|execSync\(/);
  });

  it('core/ and middleware/ import no I/O adapter (rabbitmq-client, lmdb, redis)', () => {
    for (const { file, text } of sources.filter(({ file }) => file.startsWith('core/') || file.startsWith('middleware/'))) {
      assert.doesNotMatch(text, /from 'rabbitmq-client'|from 'lmdb'|from 'redis'/, file);
    }
  });
});
