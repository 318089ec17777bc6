// `milvaion-worker check` with a .NET team's StackExchange.Redis connection string: several endpoints, Sentinel and
// the options StackExchange users paste are accepted (one note per option that means nothing here); an unknown
// option is a configuration problem that names it, with exit 78; the password is never printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode, main } from '../../../lib/host/cli/cli.ts';
import { writeJobModule } from '../../support/cli-fixtures.ts';
import { UPSTREAM_WORKER } from '../../support/upstream-worker-settings.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-redis-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const jobs = writeJobModule(dir, 'jobs.ts', "export const email = defineJob({ name: 'SendEmailJob', run: async () => 'ok' });\n");

async function check(name: string, connectionString: string): Promise<{ code: number; text: string }> {
  const config = path.join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({ Worker: { ...UPSTREAM_WORKER, Redis: { ...UPSTREAM_WORKER.Redis, ConnectionString: connectionString } } }, null, 2));
  const lines: string[] = [];
  const code = await main(['check', '--config', config, jobs], { log: (l) => void lines.push(l), error: (l) => void lines.push(l) });
  return { code, text: lines.join('\n') };
}

describe('milvaion-worker check with a StackExchange.Redis connection string', () => {
  it('accepts several endpoints, Sentinel and the common options, with a note for each option it does not use', async () => {
    const { code, text } = await check('sentinel', 'sentinel1:26379,sentinel2:26379,[::1]:26380,serviceName=mymaster,password=Pa55w0rd,abortConnect=false,connectTimeout=3000,allowAdmin=true,keepAlive=60');
    assert.equal(code, ExitCode.ok, text);
    assert.deepEqual(text.split('\n').filter((l) => l.startsWith('Note: ')), [
      'Note: Worker:Redis:ConnectionString option allowAdmin (the worker sends no admin command) is accepted and ignored',
      'Note: Worker:Redis:ConnectionString option keepAlive (the worker pings every 5 s to notice a cut network) is accepted and ignored',
    ]);
    assert.match(text, /sentinel1:26379,sentinel2:26379/);
    assert.doesNotMatch(text, /Pa55w0rd/);
  });

  it('refuses an unknown option with exit 78, naming the key and the option, never the password', async () => {
    const { code, text } = await check('typo', 'redis1:6379,redis2:6379,password=Pa55w0rd,abortConect=false');
    assert.equal(code, ExitCode.config, text);
    assert.equal(code, 78);
    assert.match(text, /Worker:Redis:ConnectionString: .*unknown option "abortConect"/);
    assert.doesNotMatch(text, /Pa55w0rd/);
  });

  it('refuses a bad port with exit 78, naming the endpoint', async () => {
    const { code, text } = await check('port', 'redis1:6379,redis2:99999');
    assert.equal(code, ExitCode.config, text);
    assert.match(text, /Worker:Redis:ConnectionString: .*endpoint "redis2:99999": port 99999 is not from 1 to 65535/);
  });
});
