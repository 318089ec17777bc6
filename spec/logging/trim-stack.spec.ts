// Specs of trimFrames(): runtime frames (node:, node_modules, the tsx/esbuild loader) are cut to one counted line,
// a job's frames stay in order; and the Exception string for the scheduler (formatException) keeps every frame.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatException } from '../../lib/core/engine/format-exception.ts';
import { isRuntimeFrame, trimFrames } from '../../lib/logging/trim-stack.ts';

const JOB = '    at Object.run (file:///srv/app/jobs/report-job.ts:12:11)';
const JOB_HELPER = '    at buildReport (/srv/app/jobs/build-report.ts:40:5)';
const RUNTIME = [
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  '    at listOnTimeout (node:internal/timers:581:17)',
  '    at node:internal/main/run_main_module:28:49',
  '    at async Promise.all (node:internal/per_context/primordials:1:1)',
  '    at EventEmitter.emit (node:events:519:28)',
  '    at Connection._onData (/srv/app/node_modules/rabbitmq-client/lib/Connection.js:300:9)',
  '    at runJob (file:///srv/app/node_modules/milvaion-worker/dist/core/engine/run-job.js:19:29)',
  '    at async ModuleJob.run (C:\\app\\node_modules\\tsx\\dist\\esm\\index.mjs:2:1)',
  '    at load (/home/u/.npm/_npx/1234/tsx/dist/register-B1c7OH6V.cjs:23:1010)',
  '    at transform (/opt/esbuild/dist/main.js:1:1)',
];

describe('trimFrames', () => {
  it('knows runtime frames from job frames', () => {
    for (const frame of RUNTIME) assert.equal(isRuntimeFrame(frame), true, frame);
    for (const frame of [JOB, JOB_HELPER, '    at async Promise.all (index 0)', '    at new Promise (<anonymous>)']) assert.equal(isRuntimeFrame(frame), false, frame);
  });

  it('keeps the job frames in order and replaces every runtime frame with one "(n runtime frames)" line', () => {
    const frames = [JOB_HELPER, RUNTIME[6]!, JOB, RUNTIME[0]!, RUNTIME[1]!];
    assert.deepEqual(trimFrames(frames), [JOB_HELPER, JOB, '    (3 runtime frames)']);
  });

  it('leaves a stack without runtime frames as it is, and an empty one empty', () => {
    assert.deepEqual(trimFrames([JOB, JOB_HELPER]), [JOB, JOB_HELPER]);
    assert.deepEqual(trimFrames([]), []);
  });

  it('does not touch the Exception string sent to the scheduler: it keeps node:internal frames', () => {
    const error = new TypeError('boom');
    error.stack = `TypeError: boom\n${JOB}\n${RUNTIME[0]!}`;
    const text = formatException(error);
    assert.match(text, /^Type: TypeError\nMessage: boom\nStackTrace: /);
    assert.ok(text.includes(RUNTIME[0]!.trim()), text);
    assert.doesNotMatch(text, /runtime frames/);
  });
});
