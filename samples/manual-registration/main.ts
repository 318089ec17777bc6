// Custom registration without discovery (the .NET AddJob<T>()): the host is built in code from an explicit job list.
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../lib/index.ts';
import { createWorkerHost, loadConfig, type WorkerHost } from '../../lib/host/index.ts';
import { emailSetup, sendEmail } from '../email/send-email-job.ts';
import { generateReport } from '../reports/generate-report-job.ts';

/** Exactly these jobs run; nothing is scanned. (`milvaion-worker check` reads this list too.) */
export const jobs = [sendEmail, generateReport];

/** Builds the host from appsettings.json next to this file, plus optional in-code overrides. */
export function buildHost(options: { overrides?: unknown; logger?: Logger } = {}): WorkerHost {
  const config = loadConfig({ configPath: fileURLToPath(new URL('appsettings.json', import.meta.url)), overrides: options.overrides });
  if (config.isErr()) throw new Error(config.error.format());
  const logger = options.logger ?? createLogger({ tag: 'manual-registration' });
  const host = createWorkerHost({ config: config.value, jobs, setups: [emailSetup], logger });
  if (host.isErr()) throw new Error(host.error.join('\n'));
  return host.value;
}

// `npx tsx samples/manual-registration/main.ts` runs it until SIGTERM / SIGINT.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const host = buildHost();
  await host.start();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void host.stop().then(() => process.exit(0)));
}
