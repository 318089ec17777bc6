// The first hour of a new user, from the packed tarball: a fresh `npm init -y` project (npm's own package.json,
// untouched: "type": "commonjs") with `npm install <tarball> valibot tsx`, where the README's Quick-start file
// runs verbatim, and the installed `milvaion-worker check` and `run` load job modules of all six extensions in a
// CommonJS, an ES-module and a typeless project, and report a module that fails to load with its own error.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createVhost, deleteVhost } from '../support/amqp-harness.ts';
import { packPackage, USER_ENV } from '../support/pack-package.ts';
import { needs } from '../support/services.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'first-hour-'));
const app = path.join(work, 'app');
const vhost = `spec-first-hour-${process.pid}`;
after(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: readonly string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, env: USER_ENV, encoding: 'utf8', timeout: 240_000 });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr), all: `${String(result.stdout)}\n${String(result.stderr)}` };
}

/** The installed CLI, run in `cwd` (a project folder inside `app`, whose node_modules it shares). */
function cli(args: readonly string[], cwd: string) {
  return run(path.join(app, 'node_modules/.bin/milvaion-worker'), args, cwd);
}

// One project per package.json "type": npm's default as `npm init -y` wrote it, "module", and none at all.
// The two others are folders of the first with a package.json of their own, so one install serves all three.
const PROJECTS = [
  { name: 'commonjs (npm init -y)', dir: app, module: false },
  { name: '"type": "module"', dir: path.join(app, 'esm-project'), module: true },
  { name: 'no "type"', dir: path.join(app, 'typeless-project'), module: false },
] as const;

/** Job names by file: one job module of each extension, a .ts one importing a sibling .ts as users write it ('./x.js'). */
const JOBS: Record<string, string> = {
  'send-email-job.ts': 'SendEmailJob',
  'report-job.mts': 'ReportJob',
  'legacy-job.cts': 'LegacyJob',
  'plain-job.js': 'PlainJob',
  'esm-job.mjs': 'EsmJob',
  'cjs-job.cjs': 'CjsJob',
};

function writeJobs(dir: string, module: boolean): void {
  const jobs = path.join(dir, 'jobs');
  mkdirSync(jobs, { recursive: true });
  writeFileSync(path.join(jobs, 'greeting.ts'), 'export const greeting = (to: string): string => `Sending to ${to}`;\n');
  writeFileSync(
    path.join(jobs, 'send-email-job.ts'),
    `import * as v from 'valibot';
import { defineJob } from 'milvaion-worker';
import { greeting } from './greeting.js';

export const sendEmail = defineJob({
  name: 'SendEmailJob',
  data: v.object({ to: v.pipe(v.string(), v.email()) }),
  async run(data, ctx) {
    ctx.log.info(greeting(data.to));
    return { sent: true, to: data.to };
  },
});
`,
  );
  // Top-level await: an ES module whatever the project's type.
  writeFileSync(path.join(jobs, 'report-job.mts'), `import { defineJob } from 'milvaion-worker';\nconst rows: number = await Promise.resolve(42);\nexport const report = defineJob({ name: 'ReportJob', async run() { return { rows }; } });\n`);
  writeFileSync(path.join(jobs, 'legacy-job.cts'), `import { defineJob } from 'milvaion-worker';\nexport const legacy = defineJob({ name: 'LegacyJob', async run(): Promise<string> { return 'cts'; } });\n`);
  writeFileSync(
    path.join(jobs, 'plain-job.js'),
    module
      ? `import { defineJob } from 'milvaion-worker';\nexport const plain = defineJob({ name: 'PlainJob', async run() { return 'js'; } });\n`
      : `const { defineJob } = require('milvaion-worker');\nexports.plain = defineJob({ name: 'PlainJob', async run() { return 'js'; } });\n`,
  );
  writeFileSync(path.join(jobs, 'esm-job.mjs'), `import { defineJob } from 'milvaion-worker';\nexport const esm = defineJob({ name: 'EsmJob', async run() { return 'mjs'; } });\n`);
  writeFileSync(path.join(jobs, 'cjs-job.cjs'), `const { defineJob } = require('milvaion-worker');\nexports.cjs = defineJob({ name: 'CjsJob', async run() { return 'cjs'; } });\n`);
}

/** The README's Quick-start file: its ```ts block whose first line names quick-start.mts. */
function quickStart(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /^```ts[^\n]*\n(\/\/ quick-start\.mts[^\n]*\n[\s\S]*?)^```/m.exec(readme)?.[1];
  assert.ok(block !== undefined, 'README.md has a ```ts block starting with // quick-start.mts');
  return block;
}

describe('the first hour: the tarball in a fresh npm init -y project', { timeout: 900_000 }, () => {
  before(() => {
    const { tarball } = packPackage(work);
    mkdirSync(app);
    const init = run('npm', ['init', '-y'], app);
    assert.equal(init.status, 0, init.all);
    const installed = run('npm', ['install', tarball, 'valibot', 'tsx', '--no-audit', '--no-fund', '--prefer-offline'], app);
    assert.equal(installed.status, 0, installed.all);
    for (const project of PROJECTS) {
      if (project.dir !== app) {
        mkdirSync(project.dir);
        writeFileSync(path.join(project.dir, 'package.json'), JSON.stringify({ name: path.basename(project.dir), version: '1.0.0', private: true, ...(project.module ? { type: 'module' } : {}) }, null, 2));
      }
      writeJobs(project.dir, project.module);
      // What `run` and `dispatch` read; `check` connects to nothing.
      const id = `first-hour-${PROJECTS.indexOf(project)}`;
      const config = {
        Worker: {
          WorkerId: id,
          RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost },
          Redis: { ConnectionString: '127.0.0.1:6379' },
          OfflineResilience: { LocalStoragePath: path.join(work, `${id}-outbox`) },
        },
      };
      writeFileSync(path.join(project.dir, 'appsettings.json'), JSON.stringify(config, null, 2));
    }
  });

  it('npm init -y made a project that is not an ES module project', () => {
    const pkg = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { type?: string };
    assert.notEqual(pkg.type, 'module');
  });

  it("runs the README's Quick-start file verbatim with npx tsx", () => {
    writeFileSync(path.join(app, 'quick-start.mts'), quickStart());
    const result = run('npx', ['tsx', 'quick-start.mts'], app);
    assert.equal(result.status, 0, result.all);
    // The final status record it prints: Completed (JobStatus.Completed is 2) with the job's result.
    assert.match(result.stdout, /status: 2\b/, result.all);
    assert.match(result.stdout, /result: '\{"sent":true\}'/, result.all);
  });

  for (const project of PROJECTS) {
    it(`check loads job modules of all six extensions in a ${project.name} project`, () => {
      const result = cli(['check', './jobs'], project.dir);
      assert.equal(result.status, 0, result.all);
      for (const job of Object.values(JOBS)) assert.match(result.stdout, new RegExp(`^ {4}${job}\\b`, 'm'), `${job}: ${result.all}`);
      assert.match(result.stdout, /OK: 6 job\(s\) from 7 module\(s\)\./);
      assert.doesNotMatch(result.all, /cycle|require\(esm\)/i);
    });
  }

  describe('run against the broker', { ...needs('rabbitmq') }, () => {
    before(() => void createVhost(vhost));
    after(() => deleteVhost(vhost));

    for (const project of PROJECTS) {
      it(`run in a ${project.name} project consumes every job, completes a dispatched .ts job, and stops on SIGTERM`, async () => {
        const child = spawn(path.join(app, 'node_modules/.bin/milvaion-worker'), ['run', '--config', 'appsettings.json', './jobs'], { cwd: project.dir, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (b: Buffer) => (output += b.toString()));
        child.stderr.on('data', (b: Buffer) => (output += b.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        try {
          const consuming = (job: string) => new RegExp(`consuming .*${job}`).test(output);
          const deadline = Date.now() + 60_000;
          while (!Object.values(JOBS).every(consuming) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          for (const job of Object.values(JOBS)) assert.ok(consuming(job), `${job} is consumed:\n${output}`);
          const dispatched = cli(['dispatch', 'SendEmailJob', '--data', '{"to":"ada@example.com"}', '--config', 'appsettings.json', '--timeout', '60'], project.dir);
          assert.equal(dispatched.status, 0, dispatched.all);
          assert.match(dispatched.stdout, /Completed \{"sent":true,"to":"ada@example\.com"\}/);
          assert.match(dispatched.stdout, /Sending to ada@example\.com/);
          child.kill('SIGTERM');
          assert.equal(await exited, 0, output);
          assert.doesNotMatch(output, /cycle|require\(esm\)/i);
        } finally {
          child.kill('SIGKILL');
        }
      });
    }
  });

  describe('a module that fails to load is reported with its own error', () => {
    for (const project of PROJECTS) {
      it(`in a ${project.name} project: a syntax error with file, line and column; an error thrown at import with its message and frames`, () => {
        const bad = path.join(project.dir, 'bad');
        mkdirSync(bad, { recursive: true });
        // Each project's files differ (tsx caches transforms by content, and the error names the file it compiled).
        writeFileSync(path.join(bad, 'broken-job.ts'), `import { defineJob } from 'milvaion-worker';\n// ${project.name}\nexport const broken = defineJob({ name: 'BrokenJob', async run() { return { ok: true ; } });\n`);
        writeFileSync(
          path.join(bad, 'throwing-job.ts'),
          `import { defineJob } from 'milvaion-worker';\n// ${project.name}\nfunction connect(): never {\n  throw new Error('DATABASE_URL is not set');\n}\nconnect();\nexport const throwing = defineJob({ name: 'ThrowingJob', async run() { return 1; } });\n`,
        );
        writeFileSync(path.join(bad, 'broken-script.cjs'), `// ${project.name}\nconst settings = { retries: 1 ;\nmodule.exports = settings;\n`);
        for (const command of ['check', 'run']) {
          // run stops at the same place as check: before connecting to anything.
          const result = cli([command, '--config', 'appsettings.json', './bad'], project.dir);
          assert.equal(result.status, 78, result.all);
          assert.equal(result.stdout, '', result.all);
          assert.match(result.stderr, /^Job modules:\n/);
          assert.match(result.stderr, /^ {2}- bad\/broken-job\.ts:3:86: Expected "\}" but found ";"$/m);
          assert.match(result.stderr, /^ {2}- bad\/broken-script\.cjs:2:31: SyntaxError: Unexpected token ';'$/m);
          assert.match(result.stderr, /^ {2}- bad\/throwing-job\.ts: threw while loading: Error: DATABASE_URL is not set\n {6}at connect \(bad\/throwing-job\.ts:4:9\)\n/m);
          assert.doesNotMatch(result.stderr, /node:internal|node_modules|cycle|require\(esm\)/i);
        }
      });
    }
  });
});
