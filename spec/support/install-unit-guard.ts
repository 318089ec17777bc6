// installUnitGuard(): opening a socket or starting a process throws, so that a spec that needs the network or a
// child process must say so in its name (.int or .slow). Worker threads, files and LMDB stay allowed.
// `npm run test:unit` installs it in every spec process through spec/support/unit-guard.ts.
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import path from 'node:path';

/** What a unit spec tried: `'open a socket'` or `'start a process'`. */
export type Deed = 'open a socket' | 'start a process';

/** How long a spec file may go on after its first violation before the guard ends its process. */
const GRACE_MS = 5000;
let ending: NodeJS.Timeout | undefined;

/** The error for `what` (the call that was made) in `file`, naming the two names the file may take instead. */
export function toViolation(deed: Deed, what: string, file: string): Error {
  const stem = file.replace(/\.spec\.ts$/, '');
  return new Error(`a unit spec may not ${deed} (${what} in ${file}): rename it ${stem}.int.spec.ts or .slow.spec.ts`);
}

/**
 * What the guard does besides throwing: the file fails whatever its tests say, since a client that catches the
 * throw and retries (rabbitmq-client, redis) would leave the spec passing, or waiting for an answer that cannot
 * come; a file still running GRACE_MS later is ended.
 */
function failFile(error: Error): void {
  process.exitCode = 1;
  process.stderr.write(`${error.message}\n`);
  ending ??= setTimeout(() => process.exit(1), GRACE_MS).unref();
}

/** The spec file this process runs, relative to the working folder (`spec/core/compose.spec.ts`). */
function specFile(): string {
  const file = process.argv[1];
  return file === undefined ? 'this spec' : path.relative(process.cwd(), file);
}

/**
 * Makes every way to open a socket or start a process throw in this process, after handing the error to `report`.
 * Returns a function that puts back what was there.
 */
export function installUnitGuard(report: (error: Error) => void = failFile): () => void {
  const saved: (() => void)[] = [];
  const forbid = (host: object, name: string, deed: Deed, label: string) => {
    const before = Object.getOwnPropertyDescriptor(host, name);
    saved.push(() => (before === undefined ? Reflect.deleteProperty(host, name) : Object.defineProperty(host, name, before)));
    Object.defineProperty(host, name, {
      configurable: true,
      writable: true,
      value: function forbidden(): never {
        const error = toViolation(deed, label, specFile());
        report(error);
        throw error;
      },
    });
  };
  for (const name of ['connect', 'createConnection']) forbid(net, name, 'open a socket', `net.${name}`);
  forbid(net.Socket.prototype, 'connect', 'open a socket', 'net.Socket.connect');
  // http.Server and https.Server inherit listen from net.Server.
  forbid(net.Server.prototype, 'listen', 'open a socket', 'a server’s listen');
  forbid(dgram, 'createSocket', 'open a socket', 'dgram.createSocket');
  for (const [label, module] of [['http', http], ['https', https]] as const) {
    for (const name of ['request', 'get']) forbid(module, name, 'open a socket', `${label}.${name}`);
  }
  forbid(globalThis, 'fetch', 'open a socket', 'fetch');
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    forbid(childProcess, name, 'start a process', `child_process.${name}`);
  }
  // `import { spawn } from 'node:child_process'` reads the module's exports as they were: bring them up to date.
  syncBuiltinESMExports();
  return () => {
    for (const restore of saved.reverse()) restore();
    syncBuiltinESMExports();
  };
}
