// The CLI end to end: help, check, a real `run` in a child process with dispatch and SIGTERM, and init.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { main, ExitCode } from '../../../lib/host/cli/cli.ts';
import { toDependencySpec } from '../../../lib/host/cli/init-project.ts';
import { Connection } from 'rabbitmq-client';
import { AMQP_URL, createVhost, deleteVhost } from '../../support/amqp-harness.ts';
import { needs } from '../../support/services.ts';
import { TSX_IMPORT } from '../../support/tsx-loader.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// The CLI from source: tsx loads it (a deployment runs the compiled dist/host/cli/cli-entry.js; spec/package checks that).
const ENTRY = path.join(ROOT, 'lib/host/cli/cli-entry.ts');
const JOBS = path.join(ROOT, 'samples/jobs/sample-jobs.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'cli-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Child processes must not think they run under this test runner (it changes how node --test reports).
const { NODE_TEST_CONTEXT: _ignored, ...ENV } = process.env;

function capture() {
  const lines: string[] = [];
  return { lines, out: { log: (l: string) => void lines.push(l), error: (l: string) => void lines.push(l) } };
}

function writeConfig(name: string, config: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe('milvaion-worker CLI', { timeout: 180_000 }, () => {
  it('prints help for every command and rejects unknown ones with exit 2', async () => {
    for (const command of ['run', 'check', 'init', 'dispatch']) {
      const c = capture();
      assert.equal(await main([command, '--help'], c.out), ExitCode.ok);
      assert.match(c.lines.join('\n'), new RegExp(`milvaion-worker ${command}`));
    }
    const c = capture();
    assert.equal(await main(['frobnicate'], c.out), ExitCode.usage);
    assert.match(c.lines.join('\n'), /Unknown command/);
  });

  it('check validates config and jobs without connecting, and never prints a password', async () => {
    const config = writeConfig('ok.json', {
      Logging: { LogLevel: { Default: 'Information' } },
      Worker: { WorkerId: 'cli-check', RabbitMQ: { Host: '127.0.0.1', Port: 1, Password: 'rabbit-sekret' }, Redis: { ConnectionString: '127.0.0.1:1,password=redis-sekret' } },
      JobConsumers: { GenerateReportJob: { MaxRetries: 1 } },
    });
    const c = capture();
    assert.equal(await main(['check', '--config', config, JOBS], c.out), ExitCode.ok);
    const text = c.lines.join('\n');
    assert.match(text, /GenerateReportJob/);
    assert.match(text, /OK: 5 job\(s\)/);
    assert.doesNotMatch(text, /rabbit-sekret|redis-sekret/);
  });

  it('check lists every configuration problem and exits 78', async () => {
    const config = writeConfig('bad.json', { Worker: { WorkerId: 'has:colon', MaxParallelJobs: 0, RabbitMQ: { Port: 'x', Hots: 'typo' } } });
    const c = capture();
    assert.equal(await main(['check', '--config', config, JOBS], c.out), ExitCode.config);
    const text = c.lines.join('\n');
    for (const key of ['WorkerId', 'MaxParallelJobs', 'Port', 'Hots']) assert.match(text, new RegExp(key));
  });

  it('check reports a JobConsumers entry that matches no job, and a module path that does not exist', async () => {
    const config = writeConfig('orphan.json', { Worker: { WorkerId: 'cli-orphan' }, JobConsumers: { SendMailJob: {} } });
    const c = capture();
    assert.equal(await main(['check', '--config', config, JOBS], c.out), ExitCode.config);
    assert.match(c.lines.join('\n'), /JobConsumers:SendMailJob has no matching job/);
    const d = capture();
    assert.equal(await main(['check', '--config', config, path.join(dir, 'missing')], d.out), ExitCode.config);
    assert.match(d.lines.join('\n'), /no such file or folder/);
  });

  // Module loading from the installed tarball, in fresh npm init -y projects, is spec/package/first-hour.slow.spec.ts.
  it('check loads .ts, .mts, .cts, .js, .mjs and .cjs job modules in a CommonJS project', async () => {
    const project = path.join(dir, 'commonjs-project');
    mkdirSync(path.join(project, 'jobs'), { recursive: true });
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'commonjs-project', type: 'commonjs' }));
    const lib = JSON.stringify(path.join(ROOT, 'lib/index.ts'));
    const esm = (name: string) => `import { defineJob } from ${lib};\nexport const job = defineJob({ name: '${name}', async run() { return 1; } });\n`;
    const cjs = (name: string) => `const { defineJob } = require(${lib});\nexports.job = defineJob({ name: '${name}', async run() { return 1; } });\n`;
    writeFileSync(path.join(project, 'jobs/helper.ts'), "export const name: string = 'TsJob';\n");
    writeFileSync(path.join(project, 'jobs/ts-job.ts'), `import { defineJob } from ${lib};\nimport { name } from './helper.js';\nexport const job = defineJob({ name, async run() { return 1; } });\n`);
    writeFileSync(path.join(project, 'jobs/mts-job.mts'), esm('MtsJob'));
    writeFileSync(path.join(project, 'jobs/cts-job.cts'), esm('CtsJob'));
    writeFileSync(path.join(project, 'jobs/js-job.js'), cjs('JsJob'));
    writeFileSync(path.join(project, 'jobs/mjs-job.mjs'), esm('MjsJob'));
    writeFileSync(path.join(project, 'jobs/cjs-job.cjs'), cjs('CjsJob'));
    const config = writeConfig('modules.json', { Worker: { WorkerId: 'cli-modules' } });
    const c = capture();
    assert.equal(await main(['check', '--config', config, path.join(project, 'jobs')], c.out), ExitCode.ok, c.lines.join('\n'));
    const text = c.lines.join('\n');
    for (const job of ['TsJob', 'MtsJob', 'CtsJob', 'JsJob', 'MjsJob', 'CjsJob']) assert.match(text, new RegExp(`^ {4}${job}$`, 'm'), text);
    assert.match(text, /OK: 6 job\(s\) from 7 module\(s\)/);
  });

  it('check reports a module that fails to load with its own error, file and line first; exit 78', async () => {
    const bad = path.join(dir, 'bad-modules');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'package.json'), JSON.stringify({ name: 'bad-modules', type: 'commonjs' }));
    writeFileSync(path.join(bad, 'broken.ts'), 'export const a = 1;\n\nexport const b = { c: 2 ;\n');
    writeFileSync(path.join(bad, 'throws.mts'), "function connect(): never {\n  throw new RangeError('no database');\n}\nconnect();\n");
    writeFileSync(path.join(bad, 'broken.cjs'), 'module.exports = (;\n');
    writeFileSync(path.join(bad, 'broken-too.cts'), 'export const a: number = ;\n');
    const config = writeConfig('bad-modules.json', { Worker: { WorkerId: 'cli-bad-modules' } });
    const c = capture();
    assert.equal(await main(['check', '--config', config, bad], c.out), ExitCode.config);
    const text = c.lines.join('\n');
    const rel = bad; // outside the working folder, so named by its absolute path
    assert.ok(text.startsWith('Job modules:\n'), text);
    assert.ok(text.includes(`  - ${rel}/broken.ts:3:25: Expected "}" but found ";"`), text);
    assert.ok(text.includes(`  - ${rel}/broken.cjs:1:19: SyntaxError: Unexpected token ';'`), text);
    assert.ok(text.includes(`  - ${rel}/broken-too.cts:1:26: Unexpected ";"`), text);
    assert.ok(text.includes(`  - ${rel}/throws.mts: threw while loading: RangeError: no database\n      at connect (${rel}/throws.mts:2:9)`), text);
    assert.doesNotMatch(text, /cycle|require\(esm\)|node:internal|node_modules/);
  });

  describe('run, dispatch and SIGTERM against the broker', needs('rabbitmq'), () => {
    const vhost = `spec-cli-${process.pid}`;
    before(() => void createVhost(vhost));
    after(() => deleteVhost(vhost));

    it('runs the jobs of a module, answers dispatch, and stops gracefully on SIGTERM', async () => {
      const config = writeConfig('run.json', {
        Worker: {
          WorkerId: 'cli-run',
          LogLevel: 'info',
          RabbitMQ: { Host: '127.0.0.1', VirtualHost: vhost },
          Heartbeat: { IntervalSeconds: 1 },
          OfflineResilience: { LocalStoragePath: path.join(dir, 'run-outbox') },
        },
      });
      const child = spawn(process.execPath, [...TSX_IMPORT, ENTRY, 'run', '--config', config, JOBS], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 30_000;
        while (!/consuming .*GenerateReportJob/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.match(output, /consuming .*GenerateReportJob/);
        const dispatched = spawnSync(process.execPath, [...TSX_IMPORT, ENTRY, 'dispatch', 'GenerateReportJob', '--data', '{"month":"2026-11"}', '--config', config], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 60_000 });
        assert.equal(dispatched.status, 0, dispatched.stdout + dispatched.stderr);
        assert.match(dispatched.stdout, /Completed \{"reportId":"report-2026-11","rowCount":42\}/);
        assert.match(dispatched.stdout, /log Information +Building the report for 2026-11/);
        const lines = dispatched.stdout.trimEnd().split('\n');
        assert.match(lines.at(-1) ?? '', /Completed/, 'the final is the last line: every log sent before it is shown first');
        child.kill('SIGTERM');
        assert.equal(await exited, 0, output);
        assert.match(output, /SIGTERM: stopping/);
        assert.match(output, /stopped/);
        // The last heartbeat says IsStopping (read straight from the queue: no scheduler runs here).
        const admin = new Connection(`${AMQP_URL}/${vhost}`);
        admin.on('error', () => undefined);
        const beats: Record<string, unknown>[] = [];
        for (let m = await admin.basicGet({ queue: 'worker_heartbeat_queue', noAck: true }); m; m = await admin.basicGet({ queue: 'worker_heartbeat_queue', noAck: true })) {
          beats.push(JSON.parse(Buffer.from(m.body as Buffer).toString()) as Record<string, unknown>);
        }
        await admin.close();
        assert.equal(beats.at(-1)?.['IsStopping'], true);
        assert.doesNotMatch(output, /guest:guest/);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });

  // Installing the scaffold and running its own test and typecheck is spec/package/package.slow.spec.ts (from the tarball).
  it('init scaffolds a project with a test over every spec, a typecheck, and --from as its dependency', async () => {
    const project = path.join(dir, 'my-worker');
    const c = capture();
    assert.equal(await main(['init', project, '--template', 'api', '--from', ROOT], c.out), ExitCode.ok);
    for (const file of ['package.json', 'tsconfig.json', 'appsettings.json', 'jobs/send-email-job.ts', 'jobs/setup.ts', 'spec/send-email-job.spec.ts']) assert.ok(existsSync(path.join(project, file)), file);
    const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies['milvaion-worker'], `file:${path.resolve(ROOT)}`);
    assert.equal(pkg.scripts.test, 'tsx --test spec/*.spec.ts');
    assert.equal(pkg.scripts.typecheck, 'tsc -p tsconfig.json');
    assert.deepEqual(Object.keys(pkg.devDependencies).sort(), ['@types/node', 'tsx', 'typescript']);
    assert.deepEqual(pkg.allowScripts, { lmdb: false, 'msgpackr-extract': false });
    // appsettings.json carries comments (the loader reads JSON with comments) and the api template's HTTP port.
    const settings = readFileSync(path.join(project, 'appsettings.json'), 'utf8');
    assert.match(settings, /\/\/ .*vhost of your own/);
    assert.match(settings, /"HttpPort": 8080/);
    const checked = capture();
    assert.equal(await main(['check', '--config', path.join(project, 'appsettings.json'), path.join(ROOT, 'samples/jobs/sample-jobs.ts')], checked.out), ExitCode.config);
    assert.match(checked.lines.join('\n'), /SendEmailJob/, 'the scaffold config names its job; check reads it (with comments) and reports the mismatch');
    const again = capture();
    assert.equal(await main(['init', project], again.out), ExitCode.failure);
    assert.match(again.lines.join('\n'), /not empty/);
    const missing = capture();
    assert.equal(await main(['init', path.join(dir, 'other'), '--from', path.join(dir, 'nowhere.tgz')], missing.out), ExitCode.failure);
    assert.match(missing.lines.join('\n'), /--from .*nowhere\.tgz: no such file/);
  });

  it('init takes its dependency from how the running copy was installed', () => {
    const project = path.join(dir, 'consumer');
    const own = path.join(project, 'node_modules', 'milvaion-worker');
    mkdirSync(own, { recursive: true });
    // No lockfile: a registry install is assumed.
    assert.equal(toDependencySpec(undefined, own, '1.2.3')._unsafeUnwrap(), '^1.2.3');
    writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/milvaion-worker': { resolved: 'file:../pkg/milvaion-worker-1.2.3.tgz' } } }));
    assert.equal(toDependencySpec(undefined, own, '1.2.3')._unsafeUnwrap(), `file:${path.resolve(dir, 'pkg/milvaion-worker-1.2.3.tgz')}`);
    writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/milvaion-worker': { resolved: 'https://registry.example/milvaion-worker/-/milvaion-worker-1.2.3.tgz' } } }));
    assert.equal(toDependencySpec(undefined, own, '1.2.3')._unsafeUnwrap(), '^1.2.3');
    // Not under node_modules: a checkout, used as it is.
    assert.equal(toDependencySpec(undefined, ROOT, '1.2.3')._unsafeUnwrap(), `file:${path.resolve(ROOT)}`);
  });
});
