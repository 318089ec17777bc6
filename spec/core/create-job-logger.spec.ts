// Specs of createJobLogger() and mirrorTo(): each call becomes one LogRecord in call order, errors are
// captured as the .NET SDK does, categories, timestamps, and the optional mirror to the technical logger.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LogRecord } from '../../lib/index.ts';
import { LogCategory } from '../../lib/core/engine/create-job-logger.ts';
import { createJobLogger, mirrorTo } from '../../lib/core/engine/create-job-logger.ts';
import { makeEnvelope } from '../support/envelopes.ts';
import { captureLogger } from '../support/loggers.ts';

function setup(options: { mirror?: boolean; now?: () => number } = {}) {
  const envelope = makeEnvelope('ReportJob');
  const records: LogRecord[] = [];
  const mirror = captureLogger();
  const log = createJobLogger(envelope, (r) => records.push(r), {
    ...(options.mirror ? { mirror } : {}),
    now: options.now ?? (() => 1_700_000_000_000),
  });
  return { envelope, records, mirror, log };
}

class QuotaError extends Error {
  override readonly name = 'QuotaError';
}

describe('createJobLogger', () => {
  it('emits one record per call, in call order, at the dashboard’s level names', () => {
    const { envelope, records, log } = setup();
    log.debug('d');
    log.info('i', { rows: 3 });
    log.warn('w');
    log.error('e');
    assert.deepEqual(records.map((r) => [r.level, r.message]), [
      ['Debug', 'd'],
      ['Information', 'i'],
      ['Warning', 'w'],
      ['Error', 'e'],
    ]);
    assert.deepEqual(records[1], {
      type: 'log',
      occurrenceId: envelope.occurrenceId,
      correlationId: envelope.correlationId,
      jobName: 'ReportJob',
      timestamp: 1_700_000_000_000,
      level: 'Information',
      message: 'i',
      data: { rows: 3 },
      category: LogCategory.UserCode,
      exceptionType: null,
    });
  });

  it('stamps each record with the clock it was given, and with Date.now by default', (t) => {
    let now = 5;
    const { records, log } = setup({ now: () => now });
    log.info('a');
    now = 9;
    log.info('b');
    assert.deepEqual(records.map((r) => r.timestamp), [5, 9]);
    t.mock.timers.enable({ apis: ['Date'], now: 42_000 });
    const defaults: LogRecord[] = [];
    createJobLogger(makeEnvelope('X'), (r) => defaults.push(r)).info('c');
    assert.equal(defaults[0]?.timestamp, 42_000);
  });

  it('captures an Error as its type, stack and inner exception, in the UserDefined category', () => {
    const { records, log } = setup();
    const error = new QuotaError('quota exceeded', { cause: new Error('429 from the API') });
    log.error('sending failed', error);
    const [record] = records;
    assert.ok(record);
    assert.equal(record.exceptionType, 'QuotaError');
    assert.equal(record.category, LogCategory.UserDefined);
    const data = record.data as { ExceptionType: string; StackTrace: string; InnerException: string | null };
    assert.equal(data.ExceptionType, 'QuotaError');
    assert.equal(data.InnerException, '429 from the API');
    assert.match(data.StackTrace, /^\s+at /, 'stack frames only, without the message line');
    assert.doesNotMatch(data.StackTrace, /quota exceeded/);
  });

  it('leaves InnerException null when the cause is missing or not an Error', () => {
    const { records, log } = setup();
    log.warn('a', new Error('no cause'));
    log.warn('b', new Error('text cause', { cause: 'just text' }));
    assert.deepEqual(records.map((r) => (r.data as { InnerException: unknown }).InnerException), [null, null]);
    assert.deepEqual(records.map((r) => r.exceptionType), ['Error', 'Error']);
  });

  it('keeps an explicit category, also for an Error', () => {
    const { records, log } = setup();
    log.write('Warning', 'Redelivery detected', { Reason: 'x' }, LogCategory.Redelivery);
    log.write('Error', 'retry failed', new Error('boom'), LogCategory.Retry);
    log.write('Information', 'plain');
    assert.deepEqual(records.map((r) => r.category), [LogCategory.Redelivery, LogCategory.Retry, LogCategory.UserCode]);
    assert.deepEqual(records[0]?.data, { Reason: 'x' });
  });

  it('stores null for absent data and turns a non-string message into text', () => {
    const { records, log } = setup();
    log.info('no data');
    log.write('Information', 'null data', null);
    log.info(42 as unknown as string);
    assert.deepEqual(records.map((r) => r.data), [null, null, null]);
    assert.equal(records[2]?.message, '42');
  });

  it('mirrors each line to the technical logger at the matching level, prefixed with the job and occurrence, only when asked', () => {
    const plain = setup();
    plain.log.info('quiet');
    assert.equal(plain.mirror.lines.length, 0);
    const { envelope, mirror, log } = setup({ mirror: true });
    log.debug('d');
    log.info('i', { n: 1 });
    log.warn('w');
    log.error('e');
    const prefix = `[ReportJob ${envelope.occurrenceId}] `;
    assert.deepEqual(
      mirror.lines.map((l) => [l.level, l.message, l.args]),
      [
        ['debug', `${prefix}d`, []],
        ['info', `${prefix}i`, [{ n: 1 }]],
        ['warn', `${prefix}w`, []],
        ['error', `${prefix}e`, []],
      ],
    );
  });
});

describe('mirrorTo', () => {
  it('writes a user log level to the technical level, with the data as one argument when there is any', () => {
    const logger = captureLogger();
    mirrorTo(logger, 'Debug', 'a', null);
    mirrorTo(logger, 'Information', 'b', { x: 1 });
    mirrorTo(logger, 'Warning', 'c', undefined);
    const error = new Error('e');
    mirrorTo(logger, 'Error', 'd', error);
    assert.deepEqual(logger.lines, [
      { level: 'debug', message: 'a', args: [] },
      { level: 'info', message: 'b', args: [{ x: 1 }] },
      { level: 'warn', message: 'c', args: [] },
      { level: 'error', message: 'd', args: [error] },
    ]);
  });
});
