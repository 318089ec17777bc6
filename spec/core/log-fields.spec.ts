// Specs of logWith() and withLogFields(): a consola logger receives the runtime's fields as a log object (its
// reporters see them as properties); any other logger (console, a test double) gets the plain call it always got.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConsola, type LogObject } from 'consola/core';
import type { TechnicalLogger } from '../../lib/core/vocabulary/types.ts';
import { createLogger } from '../../lib/create-logger.ts';
import { jobFields, logWith, withLogFields } from '../../lib/core/vocabulary/log-fields.ts';
import { captureLogger } from '../support/loggers.ts';

/** A consola instance whose reporter keeps the log objects it receives. */
function consolaCapture() {
  const seen: LogObject[] = [];
  const logger = createConsola({ level: 5, throttle: 0, reporters: [{ log: (logObj) => void seen.push(logObj) }] });
  return { logger, seen };
}

describe('logWith', () => {
  it('passes the fields to a consola logger as properties of the log object, the message and args as its args', () => {
    const { logger, seen } = consolaCapture();
    const error = new Error('boom');
    logWith(logger, 'error', 'Job failed: J 1', { jobName: 'J', occurrenceId: '1', retryCount: 2, durationMs: 3.5 }, error);
    assert.equal(seen.length, 1);
    const [logObj] = seen;
    assert.deepEqual(logObj!.args, ['Job failed: J 1', error]);
    assert.equal(logObj!.type, 'error');
    assert.deepEqual([logObj!['jobName'], logObj!['occurrenceId'], logObj!['retryCount'], logObj!['durationMs']], ['J', '1', 2, 3.5]);
  });

  it('calls any other logger exactly as before: the message and the args, no fields', () => {
    const logger = captureLogger();
    const error = new Error('boom');
    logWith(logger, 'error', 'Job failed: J 1', { jobName: 'J' }, error);
    logWith(logger, 'debug', 'Job started: J 1', jobFields({ jobName: 'J', occurrenceId: '1' }, 0));
    assert.deepEqual(logger.lines, [
      { level: 'error', message: 'Job failed: J 1', args: [error] },
      { level: 'debug', message: 'Job started: J 1', args: [] },
    ]);
  });
});

describe('withLogFields', () => {
  it("makes a consola child whose every line carries the fields, the parent's tag kept", () => {
    const { logger, seen } = consolaCapture();
    const child = withLogFields(logger.withTag('milvaion-worker'), { workerId: 'w', instanceId: 'w-1' });
    child.info('hello');
    logWith(child, 'warn', 'careful', { jobName: 'J' });
    assert.deepEqual(seen.map((o) => [o.tag, o['workerId'], o['instanceId'], o['jobName']]), [
      ['milvaion-worker', 'w', 'w-1', undefined],
      ['milvaion-worker', 'w', 'w-1', 'J'],
    ]);
  });

  it('returns any other logger as it is', () => {
    const logger = captureLogger();
    assert.equal(withLogFields(logger, { workerId: 'w' }), logger);
    assert.equal(withLogFields(console, { workerId: 'w' }), console);
  });

  it('TechnicalLogger is still satisfied by console and by a consola instance', () => {
    const loggers: TechnicalLogger[] = [console, createLogger({ level: 'silent' }), createConsola()];
    assert.equal(loggers.length, 3);
  });
});
