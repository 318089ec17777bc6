// `milvaion-worker init`: scaffolds a worker project (the .NET `milvaion-console-worker` / `-api-worker`
// templates): package.json, a sample job and setup, appsettings.json, and a test on the embedded transport.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from 'neverthrow';

/** This package's root: the same three levels up from lib/host/cli (a checkout under tsx) and dist/host/cli (compiled). */
const OWN_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OWN = JSON.parse(readFileSync(path.join(OWN_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/**
 * The dependency spec the scaffold gets for milvaion-worker: `--from` (a checkout folder or a packed tarball)
 * as a `file:` spec; else what the running copy was installed from (a registry install gives `^version`, a
 * tarball install the same tarball); else, run from a checkout, that checkout.
 */
export function toDependencySpec(from: string | undefined, ownRoot = OWN_ROOT, version = OWN.version): Result<string, string> {
  if (from !== undefined) {
    const full = path.resolve(from);
    if (!existsSync(full)) return err(`--from ${from}: no such file or folder`);
    if (statSync(full).isDirectory() && !existsSync(path.join(full, 'package.json'))) return err(`--from ${from}: not a package folder (no package.json)`);
    return ok(`file:${full}`);
  }
  const parts = path.resolve(ownRoot).split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return ok(`file:${path.resolve(ownRoot)}`);
  const project = parts.slice(0, at).join(path.sep) || path.sep;
  const key = parts.slice(at).join('/');
  for (const lock of [path.join(project, 'node_modules', '.package-lock.json'), path.join(project, 'package-lock.json')]) {
    try {
      const resolved = (JSON.parse(readFileSync(lock, 'utf8')) as { packages?: Record<string, { resolved?: string }> }).packages?.[key]?.resolved;
      if (resolved?.startsWith('file:')) return ok(`file:${path.resolve(project, resolved.slice('file:'.length))}`);
      if (resolved !== undefined) break;
    } catch {
      // no lockfile here: try the next, else assume the registry
    }
  }
  return ok(`^${version}`);
}

/** Writes the project files; refuses a folder that is not empty. Returns the files written. */
export function initProject(options: { dir: string; template: 'console' | 'api'; from?: string | undefined }): Result<string[], string> {
  const dir = path.resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) return err(`${dir} is not empty; choose a new folder`);
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-worker';
  const dependency = toDependencySpec(options.from);
  if (dependency.isErr()) return err(dependency.error);
  const dev = { ...OWN.devDependencies };
  const files: Record<string, string> = {
    'package.json': json({
      name,
      private: true,
      type: 'module',
      scripts: {
        start: 'milvaion-worker run jobs',
        check: 'milvaion-worker check jobs',
        test: 'tsx --test spec/*.spec.ts',
        typecheck: 'tsc -p tsconfig.json',
      },
      dependencies: { 'milvaion-worker': dependency.value, valibot: OWN.dependencies['valibot'] },
      devDependencies: { '@types/node': dev['@types/node'], tsx: dev['tsx'], typescript: dev['typescript'] },
      // lmdb and msgpackr-extract ship prebuilt binaries; their install scripts only look for them.
      allowScripts: { lmdb: false, 'msgpackr-extract': false },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
      },
      include: ['jobs', 'spec'],
    }),
    'appsettings.json': `{
  // Read by 'milvaion-worker run|check' (the .NET worker's appsettings.json shape). appsettings.{env}.json and
  // Worker__… environment variables override it; passwords are redacted wherever the config is printed.
  "Logging": { "LogLevel": { "Default": "Information" } },
  "Worker": {
    "WorkerId": ${JSON.stringify(name)},
    "MaxParallelJobs": 10,
    "RabbitMQ": {
      "Host": "localhost",
      "Port": 5672,
      "Username": "guest",
      "Password": "guest",
      // The virtual host of your Milvaion scheduler. For experiments, use a vhost of your own: a worker on the
      // scheduler's vhost takes real jobs, and 'milvaion-worker dispatch' consumes the scheduler's status queues.
      "VirtualHost": "/"
    },
    "Redis": { "ConnectionString": "localhost:6379", "Password": "", "Database": 0, "CancellationChannel": "Milvaion:JobScheduler:cancellation_channel" },
    "Heartbeat": { "Enabled": true, "IntervalSeconds": 30, "JobHeartbeatIntervalSeconds": 60 },
    // Statuses and logs wait here (LMDB) while RabbitMQ is away; keep it on a persistent volume.
    "OfflineResilience": { "Enabled": true, "LocalStoragePath": "./worker_data" },
${
  options.template === 'api'
    ? `    // HTTP probes: GET /health/live, /health/ready and /metrics on this port.
    "HealthCheck": { "Enabled": true, "HttpHost": "0.0.0.0", "HttpPort": 8080 }`
    : `    // Probe files, rewritten every IntervalSeconds: the live file exists while the worker is live, the ready file
    // while it can take jobs (RabbitMQ connected); both are deleted on stop.
    // Point your container's exec probes at them (e.g. test -f /tmp/ready).
    "HealthCheck": { "Enabled": true, "LiveFilePath": "/tmp/live", "ReadyFilePath": "/tmp/ready", "IntervalSeconds": 30 }`
}
  },
  "JobConsumers": {
    "SendEmailJob": { "ConsumerId": "email-consumer", "MaxParallelJobs": 10, "ExecutionTimeoutSeconds": 120, "MaxRetries": 3, "BaseRetryDelaySeconds": 10 }
  }
}
`,
    'jobs/send-email-job.ts': `// A sample job: typed, validated data, a user log line for the dashboard, a result.
import * as v from 'valibot';
import { defineJob, PermanentJobError } from 'milvaion-worker';

export const sendEmail = defineJob({
  name: 'SendEmailJob',
  data: v.object({ to: v.pipe(v.string(), v.email()), subject: v.string() }),
  async run(data, ctx) {
    if (data.to.endsWith('.invalid')) throw new PermanentJobError(\`No mail domain for \${data.to}\`);
    ctx.log.info(\`Sending "\${data.subject}" to \${data.to}\`);
    ctx.signal.throwIfAborted();
    return { sent: true, to: data.to };
  },
});
`,
    'jobs/setup.ts': `// Services for your jobs: register them here (singleton, scoped per job execution, or transient).
import { defineSetup } from 'milvaion-worker';

export const setup = defineSetup({
  services: () => {
    // container.register({ mailer: asClass(SmtpMailer).scoped() });
  },
});
`,
    'spec/send-email-job.spec.ts': `// Tests the job on the embedded transport: no broker needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedWorker, JobStatus } from 'milvaion-worker';
import { sendEmail } from '../jobs/send-email-job.ts';

test('SendEmailJob completes with its result and logs', async () => {
  const worker = createEmbeddedWorker({ jobs: [sendEmail] });
  const id = worker.enqueue('SendEmailJob', { to: 'ada@example.com', subject: 'Hello' });
  const final = await worker.wait(id);
  assert.equal(final.status, JobStatus.Completed);
  assert.deepEqual(JSON.parse(final.result!), { sent: true, to: 'ada@example.com' });
  assert.match(worker.sink.logs(id)[0]!.message, /Sending "Hello"/);
  await worker.close();
});

test('SendEmailJob rejects bad data without retrying', async () => {
  const worker = createEmbeddedWorker({ jobs: [sendEmail] });
  const final = await worker.wait(worker.enqueue('SendEmailJob', { to: 'not an address', subject: 'x' }));
  assert.equal(final.status, JobStatus.Failed);
  assert.match(final.exception!, /to: /);
  await worker.close();
});
`,
    'README.md': `# ${name}

A Milvaion worker in TypeScript (${options.template} template).

\`\`\`bash
npm install
npm test          # the job on the embedded transport, no broker needed
npm run typecheck # tsc over the jobs and specs
npm run check     # validates appsettings.json and the jobs, connects to nothing
npm start         # runs the worker against RabbitMQ and Redis from appsettings.json
\`\`\`
`,
    '.gitignore': 'node_modules/\nworker_data/\n',
  };
  const written: string[] = [];
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    written.push(file);
  }
  return ok(written);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
