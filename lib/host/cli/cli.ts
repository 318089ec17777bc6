// The milvaion-worker command line: run, check, init, dispatch, cancel. Exit codes: 0 done (a clean stop); 1 a failure
// at run time, a start refused by the broker or not connected within Worker:StartupConnectionTimeoutSeconds, or
// a stop that left something behind (the last line says what); 2 bad arguments, or dispatch refusing a broker
// where something consumes the scheduler's queues; 3 a dispatched job did not complete; 4 it did not finish in
// time; 78 bad configuration or job modules (nothing was connected).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { err, ok, type Result } from 'neverthrow';
import { amqpErrorText } from '../../transports/amqp/amqp-error-text.js';
import { redactUrl, toAmqpHosts, toAmqpUrl } from '../../transports/amqp/to-amqp-url.js';
import { discoverModules } from './discover-modules.js';
import { groupJobsByWorker, hostNotes, matchJobsToConfig } from '../create-worker-host.js';
import { describeConfig, loadConfig } from '../config/load-config.js';
import { initProject } from './init-project.js';
import { runWorker } from './run-worker.js';
import { dispatchJob } from './dispatch-job.js';
import { cancelJob } from './cancel-job.js';
import type { WorkerConfig } from '../config/worker-config.js';

/** Exit codes of the CLI. */
export const ExitCode = { ok: 0, failure: 1, usage: 2, notCompleted: 3, timedOut: 4, config: 78 } as const;

const HELP: Record<string, string> = {
  main: `milvaion-worker <command> [options]

Commands:
  run [--config file] [--env name] <module-or-dir>...   start a worker with the jobs these modules export
  check [--config file] [--env name] <module-or-dir>... validate config and jobs, print what would run; no connection
  init <dir> [--template console|api] [--from path]     scaffold a new worker project
  dispatch <JobName> [--data json] [--worker-id id]     publish a job as the scheduler would, print its statuses and logs
  cancel <occurrenceId> [--reason text]                  cancel a running occurrence as the scheduler would (on Redis)

Run 'milvaion-worker <command> --help' for the options of a command.
Exit codes: 0 ok or a clean stop, 1 failure (at start: broker or Redis refused or unreachable; at stop: something\nleft behind), 2 bad arguments or dispatch refused (a scheduler consumes there), 3 dispatched job not Completed,\n4 dispatch timed out, 78 bad config or modules.`,
  run: `milvaion-worker run [--config file] [--env name] <module-or-dir>...

Loads the configuration (--config, else $MILVAION_CONFIG, else ./appsettings.json; then appsettings.{env}.json;
then Worker__… / JobConsumers__… environment variables), loads every defineJob() and defineSetup() export of the
given modules (folders are searched recursively), connects and runs until SIGTERM or SIGINT, then stops
gracefully (Worker:ShutdownTimeoutSeconds for running jobs, then the outbox drains).`,
  check: `milvaion-worker check [--config file] [--env name] <module-or-dir>...

Validates the configuration and the job modules without connecting anywhere, and prints the effective
configuration (passwords redacted), each job with its routing pattern, queue and settings. Exit 0 or 78.`,
  init: `milvaion-worker init <dir> [--template console|api] [--from path]

Creates a worker project in <dir>: package.json, a sample job, appsettings.json, and a test that uses the
embedded transport. 'api' adds HTTP health probes.
--from <path>: the milvaion-worker the project depends on, a checkout folder or a packed .tgz (a file: spec).
Without it: the registry version when this CLI came from the registry, else the tarball or checkout it runs from.`,
  dispatch: `milvaion-worker dispatch <JobName> [--data json] [--worker-id id] [--config file | --url amqp://…] [--timeout seconds] [--force]

Publishes the job to RabbitMQ exactly as the Milvaion scheduler does and prints the statuses and logs the worker
sends back until the final status. It needs a target: --config, $MILVAION_CONFIG, ./appsettings.json or --url;
it prints the broker, vhost and WorkerId before it connects. When something already consumes the scheduler's
queues there (a real scheduler), it sends nothing and exits 2; --force then dispatches without reading back.`,
  cancel: `milvaion-worker cancel <occurrenceId> [--reason text] [--config file] [--env name]

Publishes the occurrence's cancellation exactly as the Milvaion scheduler does: {CorrelationId, JobId, OccurrenceId,
Reason} as JSON on the Redis channel of Worker:Redis (ConnectionString, Password, CancellationChannel) of the
configuration (--config, else $MILVAION_CONFIG, else ./appsettings.json). A worker running the occurrence ends it
Cancelled; the others ignore it. Prints how many subscribers received it. Exit 0 published, 1 Redis unreachable,
2 not an occurrence UUID, 78 no Worker:Redis in the configuration.`,
};

type Out = { log(line: string): void; error(line: string): void };

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[], out: Out = { log: (l) => console.log(l), error: (l) => console.error(l) }): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out.log(HELP['main']!);
    return command === undefined ? ExitCode.usage : ExitCode.ok;
  }
  let parsed: CommandLine;
  try {
    parsed = parseCommandLine(rest);
  } catch (error) {
    out.error(`${(error as Error).message}\n\n${HELP[command] ?? HELP['main']!}`);
    return ExitCode.usage;
  }
  if (!(command in HELP) || command === 'main') {
    out.error(`Unknown command "${command}".\n\n${HELP['main']!}`);
    return ExitCode.usage;
  }
  if (parsed.values.help) {
    out.log(HELP[command]!);
    return ExitCode.ok;
  }
  switch (command) {
    case 'init':
      return runInit(parsed, out);
    case 'dispatch':
      return runDispatch(parsed, out);
    case 'cancel':
      return runCancel(parsed, out);
    case 'check':
    case 'run':
      return runCheckOrRun(command, parsed, out);
    default:
      return ExitCode.usage;
  }
}

function parseCommandLine(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      env: { type: 'string' },
      template: { type: 'string' },
      from: { type: 'string' },
      data: { type: 'string' },
      'worker-id': { type: 'string' },
      timeout: { type: 'string' },
      url: { type: 'string' },
      force: { type: 'boolean' },
      reason: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type CommandLine = ReturnType<typeof parseCommandLine>;

// Only the commands that need a configuration load one, so init works where no appsettings.json exists.
function load({ values }: CommandLine) {
  return loadConfig({ configPath: values.config, environment: values.env, env: process.env, cwd: process.cwd() });
}

function runInit({ values, positionals }: CommandLine, out: Out): number {
  const dir = positionals[0];
  const template = values.template ?? 'console';
  if (dir === undefined || (template !== 'console' && template !== 'api')) {
    out.error(HELP['init']!);
    return ExitCode.usage;
  }
  const created = initProject({ dir, template, from: values.from });
  if (created.isErr()) {
    out.error(created.error);
    return ExitCode.failure;
  }
  out.log(`Created ${created.value.length} files in ${dir}. Next: cd ${dir} && npm install && npm test && npm start`);
  return ExitCode.ok;
}

async function runDispatch(parsed: CommandLine, out: Out): Promise<number> {
  const { values, positionals } = parsed;
  const jobName = positionals[0];
  if (jobName === undefined) {
    out.error(HELP['dispatch']!);
    return ExitCode.usage;
  }
  // Without a target it would publish to localhost, vhost "/", where a real scheduler may run.
  if (values.config === undefined && !process.env['MILVAION_CONFIG'] && !existsSync('appsettings.json') && values.url === undefined) {
    out.error('dispatch needs to know which broker: give --config <file>, set $MILVAION_CONFIG, run it where appsettings.json is, or give --url amqp://user:pass@host:port/vhost.');
    return ExitCode.usage;
  }
  const data = parseData(values.data);
  if (data.isErr()) {
    out.error(data.error);
    return ExitCode.usage;
  }
  const config = load(parsed);
  if (config.isErr()) {
    out.error(config.error.format());
    return ExitCode.config;
  }
  const rabbit = config.value.worker.rabbitMq;
  const url = values.url ?? toAmqpUrl(rabbit);
  // --url names one broker; from the config, every broker of Hosts and its queue type.
  const hosts = values.url === undefined ? toAmqpHosts(rabbit) : undefined;
  const workerId = values['worker-id'] ?? config.value.worker.workerId;
  try {
    return await dispatchJob({ url, hosts, queueType: rabbit.queueType, jobName, data: data.value, workerId, timeoutSeconds: Number(values.timeout ?? 60), force: values.force === true, out });
  } catch (error) {
    out.error(`dispatch failed on ${redactUrl(url)}: ${amqpErrorText(error)}`);
    return ExitCode.failure;
  }
}

async function runCancel(parsed: CommandLine, out: Out): Promise<number> {
  const occurrenceId = parsed.positionals[0];
  if (occurrenceId === undefined || parsed.positionals.length > 1) {
    out.error(HELP['cancel']!);
    return ExitCode.usage;
  }
  const config = load(parsed);
  if (config.isErr()) {
    out.error(config.error.format());
    return ExitCode.config;
  }
  const redis = config.value.worker.redis;
  if (redis === undefined) {
    out.error('cancel needs Worker:Redis:ConnectionString in the configuration: the Redis the workers listen on for cancellations (give --config <file>, set $MILVAION_CONFIG, or run it where appsettings.json is).');
    return ExitCode.config;
  }
  return cancelJob({ redis, occurrenceId, reason: parsed.values.reason, out });
}

/** --data as JSON; an error shows the parser's message and a caret under the position. */
function parseData(text: string | undefined): Result<unknown, string> {
  if (text === undefined) return ok(undefined);
  try {
    return ok(JSON.parse(text));
  } catch (error) {
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    const caret = at && text.length <= 200 && !text.includes('\n') ? `\n  ${text}\n  ${' '.repeat(Number(at[1]))}^` : '';
    return err(`--data is not valid JSON: ${message}${caret}`);
  }
}

async function runCheckOrRun(command: 'check' | 'run', parsed: CommandLine, out: Out): Promise<number> {
  const config = load(parsed);
  if (config.isErr()) {
    out.error(config.error.format());
    return ExitCode.config;
  }
  const modules = await discoverModules(parsed.positionals);
  if (modules.isErr()) {
    out.error(`Job modules:\n${modules.error.map((p) => `  - ${p}`).join('\n')}`);
    return ExitCode.config;
  }
  const matched = matchJobsToConfig(config.value, modules.value.jobs);
  if (matched.isErr()) {
    out.error(`Configuration and jobs do not match:\n${matched.error.map((p) => `  - ${p}`).join('\n')}`);
    return ExitCode.config;
  }
  if (command === 'check') {
    out.log(describeConfig(config.value));
    out.log(describeJobs(config.value, modules.value.jobs));
    if (matched.value.unconfigured.length > 0) out.log(`\nNo JobConsumers entry (defineJob() defaults apply): ${matched.value.unconfigured.join(', ')}`);
    const notes = hostNotes(config.value);
    if (notes.length > 0) out.log(`\n${notes.map((note) => `Note: ${note}`).join('\n')}`);
    out.log(`\nOK: ${modules.value.jobs.length} job(s) from ${modules.value.files.length} module(s).`);
    return ExitCode.ok;
  }
  return runWorker(config.value, modules.value.jobs, modules.value.setups);
}

function describeJobs(config: WorkerConfig, jobs: Parameters<typeof groupJobsByWorker>[1]): string {
  const lines = ['\nJobs:'];
  for (const [workerId, group] of groupJobsByWorker(config, jobs)) {
    lines.push(`  worker ${workerId}:`);
    for (const job of group) lines.push(`    ${job.name}${job.schema ? ' (typed data)' : ''}`);
  }
  return lines.join('\n');
}
