// cpuNow(): CPU seconds used so far by the local broker (beam.smp, from /proc) and by this process.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The broker's and this process's CPU seconds; the broker's is NaN where /proc or a local broker is missing. */
export function cpuNow(): { broker: number; client: number } {
  let broker = NaN;
  try {
    const pid = execFileSync('pgrep', ['-o', '-f', 'beam.smp']).toString().trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    broker = (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    // no /proc or no local broker: the broker's share is unknown
  }
  const u = process.cpuUsage();
  return { broker, client: (u.user + u.system) / 1e6 };
}
