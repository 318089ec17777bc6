// `npm run bench`: runs every benchmark program one after another (never in parallel: they share two
// cores), prints their figures, and collects the JSON lines they print into bench-results.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const programs = ['pipeline.ts', 'outbox.ts', 'cancellation.ts', 'throughput.ts'];
const results: Record<string, unknown> = {};
const version = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000 }).trim().split('\n')[0];
  } catch {
    return 'unknown';
  }
};

for (const program of programs) {
  const file = fileURLToPath(new URL(`./${program}`, import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n=== ${program}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', env: { ...process.env, BENCH_JSON: '1' }, timeout: 120 * 60_000 });
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('{')) Object.assign(results, JSON.parse(line) as Record<string, unknown>);
    else if (line.trim() !== '') console.log(line);
  }
  if (run.status !== 0) {
    console.error(run.stderr);
    process.exitCode = 1;
  }
}

const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  rabbitmq: version('rabbitmqctl', ['version']),
  redis: version('redis-server', ['--version']),
};
writeFileSync('bench-results.json', JSON.stringify({ machine, at: new Date().toISOString(), ...results }, null, 2) + '\n');
console.log('\nwrote bench-results.json');
