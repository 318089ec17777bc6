// The unit guard that `npm run test:unit` installs in every spec process: each way to open a socket or start a
// process throws the error that names the file's two other names, and the guard can be taken off again. An
// integration spec by its own rule: it imports node:net, node:http and node:child_process to call them.
import assert from 'node:assert/strict';
import childProcess, { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { installUnitGuard, toViolation } from './install-unit-guard.ts';

const SOCKET = /^a unit spec may not open a socket \((.+) in spec\/support\/install-unit-guard\.int\.spec\.ts\): rename it /;
const PROCESS = /^a unit spec may not start a process \((.+) in spec\/support\/install-unit-guard\.int\.spec\.ts\): rename it /;

describe('installUnitGuard()', () => {
  const reported: string[] = [];
  const original = { connect: net.connect, spawnSync };
  let remove: () => void = () => undefined;
  before(() => {
    remove = installUnitGuard((error) => void reported.push(error.message));
  });
  after(() => remove());

  it('names the file and the two names it may take instead', () => {
    assert.equal(toViolation('start a process', 'child_process.fork', 'spec/core/compose.spec.ts').message, 'a unit spec may not start a process (child_process.fork in spec/core/compose.spec.ts): rename it spec/core/compose.int.spec.ts or .slow.spec.ts');
  });

  it('throws on every way to open a socket, and reports each', () => {
    const attempts: [string, () => unknown][] = [
      ['net.connect', () => net.connect(5672, '127.0.0.1')],
      ['net.createConnection', () => net.createConnection(6379, '127.0.0.1')],
      ['net.Socket.connect', () => new net.Socket().connect(5672, '127.0.0.1')],
      ['a server’s listen', () => http.createServer().listen(0, '127.0.0.1')],
      ['a server’s listen', () => net.createServer().listen(0)],
      ['dgram.createSocket', () => dgram.createSocket('udp4')],
      ['http.request', () => http.request('http://127.0.0.1:1/')],
      ['http.get', () => http.get('http://127.0.0.1:1/')],
      ['https.request', () => https.request('https://127.0.0.1:1/')],
      ['fetch', () => fetch('http://127.0.0.1:1/')],
    ];
    reported.length = 0;
    for (const [what, attempt] of attempts) {
      assert.throws(attempt, (error: Error) => SOCKET.exec(error.message)?.[1] === what, what);
    }
    assert.equal(reported.length, attempts.length);
  });

  it('throws on every way to start a process, through the module and through a named import', () => {
    const names = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
    for (const name of names) {
      const call = childProcess[name] as (...args: unknown[]) => unknown;
      assert.throws(() => call('true'), (error: Error) => PROCESS.exec(error.message)?.[1] === `child_process.${name}`, name);
    }
    assert.throws(() => spawnSync('true'), (error: Error) => PROCESS.test(error.message), 'the named import is guarded too');
  });

  it('leaves worker threads alone', async () => {
    const worker = new Worker('require("node:worker_threads").parentPort.postMessage(6 * 7)', { eval: true });
    const [answer] = await Promise.all([new Promise<unknown>((resolve) => worker.once('message', resolve)), new Promise((resolve) => worker.once('exit', resolve))]);
    assert.equal(answer, 42);
  });

  it('puts back what was there when removed', () => {
    remove();
    remove = () => undefined;
    assert.equal(net.connect, original.connect);
    assert.equal(spawnSync, original.spawnSync);
    assert.equal(spawnSync('true').status, 0, 'a process starts again');
  });
});
