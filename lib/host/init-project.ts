// `milvaion-worker init`: scaffolds a worker project (the .NET `milvaion-console-worker` / `-api-worker`
// templates): package.json, a sample job and setup, appsettings.json, and a test on the embedded transport.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { err, ok, type Result } from 'neverthrow';

const OWN = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; dependencies: Record<string, string> };

/** Writes the project files; refuses a folder that is not empty. Returns the files written. */
export function initProject(options: { dir: string; template: 'console' | 'api'; from?: string | undefined }): Result<string[], string> {
  const dir = path.resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) return err(`${dir} is not empty; choose a new folder`);
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-worker';
  const dependency = options.from ? `file:${path.resolve(options.from)}` : `^${OWN.version}`;
  const files: Record<string, string> = {
    'package.json': json({
      name,
      private: true,
      type: 'module',
      scripts: {
        start: 'milvaion-worker run jobs',
        check: 'milvaion-worker check jobs',
        test: 'tsx --test spec/send-email-job.spec.ts',
      },
      dependencies: { 'milvaion-worker': dependency, valibot: OWN.dependencies['valibot'], tsx: OWN.dependencies['tsx'] },
    }),
    'tsconfig.json': json({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true },
      include: ['jobs', 'spec'],
    }),
    'appsettings.json': json({
      Logging: { LogLevel: { Default: 'Information' } },
      Worker: {
        WorkerId: name,
        MaxParallelJobs: 10,
        RabbitMQ: { Host: 'localhost', Port: 5672, Username: 'guest', Password: 'guest', VirtualHost: '/' },
        Redis: { ConnectionString: 'localhost:6379', Password: '', Database: 0, CancellationChannel: 'Milvaion:JobScheduler:cancellation_channel' },
        Heartbeat: { Enabled: true, IntervalSeconds: 30, JobHeartbeatIntervalSeconds: 60 },
        OfflineResilience: { Enabled: true, LocalStoragePath: './worker_data' },
        HealthCheck:
          options.template === 'api'
            ? { Enabled: true, HttpHost: '0.0.0.0', HttpPort: 8080 }
            : { Enabled: true, LiveFilePath: '/tmp/live', ReadyFilePath: '/tmp/ready', IntervalSeconds: 30 },
      },
      JobConsumers: { SendEmailJob: { ConsumerId: 'email-consumer', MaxParallelJobs: 10, ExecutionTimeoutSeconds: 120, MaxRetries: 3, BaseRetryDelaySeconds: 10 } },
    }),
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
