// The files `milvaion-worker init` writes, as template functions of the project's name, template and the
// dependency versions it pins. Only text lives here; init-project.ts decides where it goes.

/** What the scaffold's text depends on. */
export interface ScaffoldOptions {
  /** The package name, also the WorkerId in appsettings.json. */
  readonly name: string;
  readonly template: 'console' | 'api';
  /** The dependency spec for milvaion-worker: `file:…` or `^version`. */
  readonly dependency: string;
  /** This package's dependencies and devDependencies, whose versions the scaffold reuses. */
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** Returns the scaffold's files, path relative to the project folder → content, in the order they are written. */
export function scaffoldFiles(o: ScaffoldOptions): Record<string, string> {
  return {
    'package.json': json(packageJson(o)),
    'tsconfig.json': json(tsconfigJson()),
    'appsettings.json': appsettingsJson(o),
    'jobs/send-email-job.ts': sendEmailJob(),
    'jobs/setup.ts': setupModule(),
    'spec/send-email-job.spec.ts': sendEmailJobSpec(),
    'README.md': readme(o),
    '.gitignore': 'node_modules/\nworker_data/\n',
  };
}

// "type": "module": the jobs are ES modules (top-level await works, and they share the CLI's copy of
// milvaion-worker); tsx, a devDependency, is what lets `npm start` and `npm run check` load them as TypeScript.
// The loader also takes them without a type (npm's default), as CommonJS compiled by tsx.
function packageJson(o: ScaffoldOptions): unknown {
  return {
    name: o.name,
    private: true,
    type: 'module',
    scripts: {
      start: 'milvaion-worker run jobs',
      check: 'milvaion-worker check jobs',
      test: 'tsx --test spec/*.spec.ts',
      typecheck: 'tsc -p tsconfig.json',
    },
    dependencies: { 'milvaion-worker': o.dependency, valibot: o.dependencies['valibot'] },
    devDependencies: { '@types/node': o.devDependencies['@types/node'], tsx: o.devDependencies['tsx'], typescript: o.devDependencies['typescript'] },
    // lmdb and msgpackr-extract ship prebuilt binaries; their install scripts only look for them.
    allowScripts: { lmdb: false, 'msgpackr-extract': false },
  };
}

function tsconfigJson(): unknown {
  return {
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
  };
}

function appsettingsJson(o: ScaffoldOptions): string {
  return `{
  // Read by 'milvaion-worker run|check' (the .NET worker's appsettings.json shape). appsettings.{env}.json and
  // Worker__… environment variables override it; passwords are redacted wherever the config is printed.
  "Logging": { "LogLevel": { "Default": "Information" } },
  "Worker": {
    "WorkerId": ${JSON.stringify(o.name)},
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
  o.template === 'api'
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
`;
}

function sendEmailJob(): string {
  return `// A sample job: typed, validated data, a user log line for the dashboard, a result.
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
`;
}

function setupModule(): string {
  return `// Services for your jobs: register them here (singleton, scoped per job execution, or transient).
import { defineSetup } from 'milvaion-worker';

export const setup = defineSetup({
  services: () => {
    // container.register({ mailer: asClass(SmtpMailer).scoped() });
  },
});
`;
}

function sendEmailJobSpec(): string {
  return `// Tests the job on the embedded transport: no broker needed.
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
`;
}

function readme(o: ScaffoldOptions): string {
  return `# ${o.name}

A Milvaion worker in TypeScript (${o.template} template).

\`\`\`bash
npm install
npm test          # the job on the embedded transport, no broker needed
npm run typecheck # tsc over the jobs and specs
npm run check     # validates appsettings.json and the jobs, connects to nothing
npm start         # runs the worker against RabbitMQ and Redis from appsettings.json
\`\`\`

In a container or under a process supervisor, start the worker itself as the main process:
\`node_modules/.bin/milvaion-worker run jobs\`. A stop signal sent to \`npm start\` or \`npx\` alone does
not reach the worker (npm runs it under a shell), so its graceful stop would not run.
`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
