// Specs of createLogger(): the json format (one parseable object per line with time, level, msg, tag and the
// runtime's fields; a failed job's error with its own frames and a "(n runtime frames)" line) and the text format
// (ISO timestamp first, never a blank line, an error's stack on indented lines), and the default per TTY.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmbeddedWorker, defineJob } from '../lib/index.ts';
import { createLogger, withLogFields } from '../lib/create-logger.ts';
import { collectStream, type CollectedStream } from './support/log-stream.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const IDS = { workerId: 'report-worker', instanceId: 'report-worker-0a1b2c3d' };

/** The job's error is made in a timer callback, so its stack has node:internal frames below the job's own. */
function failLater(message: string): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new TypeError(message)), 0));
}

const failing = defineJob({
  name: 'FailingReportJob',
  maxRetries: 0,
  async run() {
    await failLater('report service unavailable');
  },
});

/** One line at each level, error to trace (a level the logger drops is simply not written). */
function logAtEveryLevel(logger: ReturnType<typeof createLogger>): void {
  logger.error('e');
  logger.warn('w');
  logger.info('i');
  logger.debug('d');
  logger.trace('t');
}

/** Runs FailingReportJob once on an embedded worker whose logger writes `format` to a collected stream. */
async function runFailingJob(format: 'json' | 'text'): Promise<{ stream: CollectedStream; occurrenceId: string; exception: string | null }> {
  const stream = collectStream();
  const logger = withLogFields(createLogger({ level: 'debug', tag: 'milvaion-worker', format, stream }), IDS);
  const worker = createEmbeddedWorker({ jobs: [failing], logger });
  const occurrenceId = worker.enqueue('FailingReportJob', {});
  const final = await worker.wait(occurrenceId);
  await worker.close();
  return { stream, occurrenceId, exception: final.exception };
}

describe('createLogger, json format', () => {
  it('writes one JSON object per line with time, level, tag and msg at every level', () => {
    const stream = collectStream();
    logAtEveryLevel(createLogger({ level: 'trace', tag: 'milvaion-worker', format: 'json', stream }));
    assert.equal(stream.chunks.length, 5, 'one write per record');
    const records = stream.records();
    assert.deepEqual(records.map((r) => [r['level'], r['msg'], r['tag']]), [
      ['error', 'e', 'milvaion-worker'],
      ['warn', 'w', 'milvaion-worker'],
      ['info', 'i', 'milvaion-worker'],
      ['debug', 'd', 'milvaion-worker'],
      ['trace', 't', 'milvaion-worker'],
    ]);
    for (const r of records) assert.match(String(r['time']), ISO);
    assert.deepEqual(Object.keys(records[0]!), ['time', 'level', 'tag', 'msg']);
  });

  it('leaves tag out when there is none, and honours the level', () => {
    const stream = collectStream();
    const logger = createLogger({ level: 'warn', format: 'json', stream });
    logger.info('dropped');
    logger.warn('kept');
    assert.deepEqual(stream.records().map((r) => Object.keys(r)), [['time', 'level', 'msg']]);
  });

  it("carries a failed job's fields and its error with the job's frames and a runtime-frames line", async () => {
    const { stream, occurrenceId, exception } = await runFailingJob('json');
    const records = stream.records();
    const started = records.find((r) => String(r['msg']).startsWith('Job started'));
    assert.deepEqual({ ...started, time: undefined, msg: undefined }, { time: undefined, level: 'debug', tag: 'milvaion-worker', msg: undefined, ...IDS, jobName: 'FailingReportJob', occurrenceId, retryCount: 0 });
    const failed = records.find((r) => r['level'] === 'error');
    assert.ok(failed, stream.lines().join('\n'));
    assert.match(String(failed['msg']), /^Job failed after 0 retries: FailingReportJob \S+ in \d+\.\d ms$/);
    assert.equal(failed['workerId'], IDS.workerId);
    assert.equal(failed['instanceId'], IDS.instanceId);
    assert.equal(failed['jobName'], 'FailingReportJob');
    assert.equal(failed['occurrenceId'], occurrenceId);
    assert.equal(failed['retryCount'], 0);
    assert.equal(typeof failed['durationMs'], 'number');
    const error = failed['error'] as { type: string; message: string; stack: string };
    assert.equal(error.type, 'TypeError');
    assert.equal(error.message, 'report service unavailable');
    assert.match(error.stack, /at Timeout\._onTimeout \(.*create-logger\.spec\.ts:\d+:\d+\)/, 'the job file’s own frame stays');
    assert.match(error.stack, /^ {4}\(\d+ runtime frames\)$/m);
    assert.doesNotMatch(error.stack, /node:internal/);
    // The Exception sent to the scheduler keeps the .NET format and every frame.
    assert.match(exception ?? '', /Type: TypeError\nMessage: report service unavailable\nStackTrace: .*node:internal\/timers/s);
  });

  it('keeps every record on one line of valid JSON, whatever the values', () => {
    const stream = collectStream();
    const logger = createLogger({ format: 'json', stream });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    logger.info('two\nlines "quoted" \u2028 and a tab\t', cyclic, { big: 10n });
    logger.error({ message: 'a log object', args: [new Error('multi\nline')], jobName: 'J', orderId: 7 });
    assert.equal(stream.lines().length, 2);
    const [plain, object] = stream.records();
    assert.equal(plain!['msg'], 'two\nlines "quoted" \u2028 and a tab\t');
    assert.deepEqual(plain!['data'], [{ name: 'loop', self: '[Circular]' }, { big: '10' }]);
    assert.doesNotMatch(stream.chunks[0]!, /\u2028/);
    assert.equal(object!['jobName'], 'J');
    assert.equal(object!['orderId'], 7);
    assert.equal((object!['error'] as { message: string }).message, 'multi\nline');
  });
});

describe('createLogger, text format', () => {
  it('starts every record with an ISO timestamp, the level and the tag; warnings and errors add no blank line', () => {
    const stream = collectStream();
    logAtEveryLevel(createLogger({ level: 'debug', tag: 'milvaion-worker', format: 'text', stream }));
    const lines = stream.lines();
    assert.equal(lines.length, 4, lines.join('\n'));
    for (const line of lines) assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (INFO |WARN |ERROR|DEBUG) \[milvaion-worker\] [ewid]$/);
    assert.match(lines[1]!, /Z WARN {2}\[milvaion-worker\] w$/);
  });

  it("prints a failed job's error on indented lines, runtime frames cut, and never a blank line", async () => {
    const { stream } = await runFailingJob('text');
    const lines = stream.lines();
    assert.deepEqual(lines.filter((line) => line.trim() === ''), [], 'no blank line');
    for (const line of lines) assert.match(line, /^(\d{4}-\d{2}-\d{2}T\S+Z |\s+\S)/, line);
    const at = lines.findIndex((line) => / ERROR \[milvaion-worker\] Job failed after 0 retries: FailingReportJob /.test(line));
    assert.ok(at >= 0, lines.join('\n'));
    assert.equal(lines[at + 1], '  TypeError: report service unavailable');
    const stack = lines.slice(at + 2).filter((line) => line.startsWith('    '));
    assert.ok(stack.some((line) => /^ {4}at Timeout\._onTimeout \(.*create-logger\.spec\.ts/.test(line)), stack.join('\n'));
    assert.match(stack.at(-1)!, /^ {4}\(\d+ runtime frames\)$/);
    assert.ok(!stack.some((line) => line.includes('node:internal')));
  });

  it('indents the lines of a multi-line message and drops its empty lines', () => {
    const stream = collectStream();
    createLogger({ format: 'text', stream }).error('Configuration and jobs do not match:\n\n  - JobConsumers:X has no matching job\n');
    assert.deepEqual(stream.lines().map((line) => line.replace(/^\S+Z/, 'T')), ['T ERROR Configuration and jobs do not match:', '      - JobConsumers:X has no matching job']);
  });
});

describe('createLogger, default format', () => {
  it('is text on a TTY and json otherwise (as Worker:LogFormat)', () => {
    const tty = collectStream(true);
    const pipe = collectStream();
    createLogger({ stream: tty }).info('hello');
    createLogger({ stream: pipe }).info('hello');
    assert.match(tty.lines()[0]!, /^\S+Z INFO {2}hello$/);
    assert.equal(pipe.records()[0]!['msg'], 'hello');
  });
});
