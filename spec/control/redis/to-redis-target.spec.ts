// toRedisTarget(): the StackExchange.Redis connection string read in full (every option, several endpoints, IPv6,
// Sentinel), redis:// URLs, and an error that names what is wrong (an unknown option, a bad port).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRedisTarget } from '../../../lib/control/redis/to-redis-target.ts';

const target = (connectionString: string, more: { password?: string; database?: number } = {}) => toRedisTarget({ connectionString, ...more })._unsafeUnwrap();
const problem = (connectionString: string) => toRedisTarget({ connectionString })._unsafeUnwrapErr();

describe('toRedisTarget', () => {
  it('reads one endpoint with the defaults', () => {
    assert.deepEqual(target('localhost'), {
      endpoints: [{ host: 'localhost', port: 6379 }],
      serviceName: undefined,
      password: undefined,
      username: undefined,
      database: 0,
      tls: false,
      tlsServername: undefined,
      connectTimeoutMs: 5000,
      commandTimeoutMs: 5000,
      abortConnect: true,
      clientName: undefined,
      ignoredOptions: [],
    });
  });

  it('reads every supported option, in any case and order', () => {
    const t = target('cache.local:6390,PASSWORD=s3cret=x,User=alice,SSL=True,sslHost=cache.example,defaultDatabase=2,abortConnect=false,connectTimeout=1500,asyncTimeout=2500,syncTimeout=9000,name=billing-worker');
    assert.deepEqual(t.endpoints, [{ host: 'cache.local', port: 6390 }]);
    assert.equal(t.password, 's3cret=x');
    assert.equal(t.username, 'alice');
    assert.equal(t.tls, true);
    assert.equal(t.tlsServername, 'cache.example');
    assert.equal(t.database, 2);
    assert.equal(t.abortConnect, false);
    assert.equal(t.connectTimeoutMs, 1500);
    assert.equal(t.commandTimeoutMs, 2500);
    assert.equal(t.clientName, 'billing-worker');
  });

  it('takes syncTimeout as the command timeout when asyncTimeout is absent', () => {
    assert.equal(target('h,syncTimeout=7000').commandTimeoutMs, 7000);
    assert.equal(target('h,syncTimeout=7000,asyncTimeout=3000').commandTimeoutMs, 3000);
  });

  it('reads several endpoints, in their order, with options between them', () => {
    assert.deepEqual(target('redis1:6379, redis2:6380 ,password=p,redis3').endpoints, [
      { host: 'redis1', port: 6379 },
      { host: 'redis2', port: 6380 },
      { host: 'redis3', port: 6379 },
    ]);
    assert.equal(target('a,,b,').endpoints.length, 2);
  });

  it('reads IPv6 endpoints in brackets', () => {
    assert.deepEqual(target('[::1]:6380,[fe80::2]').endpoints, [
      { host: '::1', port: 6380 },
      { host: 'fe80::2', port: 6379 },
    ]);
    assert.match(problem('::1:6380'), /"::1:6380" is not host:port \(write an IPv6 address in brackets/);
  });

  it('uses StackExchange\'s default ports: 6380 with ssl, 26379 for Sentinels', () => {
    assert.equal(target('h,ssl=true').endpoints[0]!.port, 6380);
    assert.equal(target('h:7000,ssl=true').endpoints[0]!.port, 7000);
    assert.deepEqual(target('s1,s2:26380,serviceName=mymaster').endpoints, [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
    ]);
  });

  it('reads Sentinel\'s serviceName', () => {
    const t = target('sentinel1:26379,sentinel2:26379,serviceName=mymaster,password=p');
    assert.equal(t.serviceName, 'mymaster');
    assert.equal(t.password, 'p');
    assert.equal(target('h,serviceName=').serviceName, undefined);
  });

  it('accepts the options that mean nothing here, and says so for each', () => {
    const t = target('h,allowAdmin=true,keepAlive=180,connectRetry=5,tiebreaker=,configChannel=c,resolveDns=true,checkCertificateRevocation=false,version=7.0,proxy=None,channelPrefix=');
    assert.deepEqual(t.ignoredOptions.map((o) => o.split(' ')[0]), ['allowAdmin', 'keepAlive', 'connectRetry', 'tiebreaker', 'configChannel', 'resolveDns', 'checkCertificateRevocation', 'version']);
    assert.match(t.ignoredOptions[0]!, /no admin command/);
  });

  it('names an unknown option, and never prints the password', () => {
    const message = problem('h:6379,password=hunter2,abortConect=false');
    assert.match(message, /unknown option "abortConect"/);
    assert.match(message, /known options: password, user, ssl/);
    assert.doesNotMatch(message, /hunter2/);
  });

  it('refuses what would change behaviour it cannot follow', () => {
    assert.match(problem('h,channelPrefix=app:'), /channelPrefix is not supported: put the prefix in Worker:Redis:CancellationChannel/);
    assert.match(problem('h,proxy=Twemproxy'), /proxy=Twemproxy is not supported/);
    assert.match(problem('h,$SUBSCRIBE=SUB2'), /renames the command SUBSCRIBE/);
  });

  it('names a bad port, a bad value, and a missing host', () => {
    assert.match(problem('good:6379,h:99999'), /endpoint "h:99999": port 99999 is not from 1 to 65535/);
    assert.match(problem('h:0'), /endpoint "h:0": port 0/);
    assert.match(problem('h:port'), /endpoint "h:port" is not host:port/);
    assert.match(problem('h,ssl=yes'), /ssl must be true or false, found "yes"/);
    assert.match(problem('h,connectTimeout=5s'), /connectTimeout must be a whole number ≥ 1, found "5s"/);
    assert.match(problem('h,defaultDatabase=-1'), /defaultDatabase must be a whole number ≥ 0/);
    assert.match(problem('password=p,ssl=true'), /names no host/);
    assert.match(problem(''), /empty/);
    assert.match(toRedisTarget({ connectionString: 'h:1', database: -1 })._unsafeUnwrapErr(), /database/);
  });

  it('reads redis:// and rediss:// URLs, with Password and Database settings winning', () => {
    const t = target('rediss://u:p%40ss@h:7000/3');
    assert.deepEqual([t.endpoints, t.password, t.username, t.database, t.tls], [[{ host: 'h', port: 7000 }], 'p@ss', 'u', 3, true]);
    assert.deepEqual(target('redis://[::1]:6390').endpoints, [{ host: '::1', port: 6390 }]);
    const overridden = target('redis://h:7000/3', { password: 'override', database: 5 });
    assert.equal(overridden.password, 'override');
    assert.equal(overridden.database, 5);
    assert.equal(target('h:6379', { password: '' }).password, undefined);
    assert.equal(target('h:6379,password=').password, undefined);
    assert.match(problem('redis://h:6379/x'), /database "x"/);
  });
});
