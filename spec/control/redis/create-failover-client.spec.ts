// createFailoverClient() with fake node clients (no socket): the endpoints tried in turn, the primary preferred,
// the next endpoint after a lost connection, subscriptions made again on the new node, commands waiting for a node.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createFailoverClient } from '../../../lib/control/redis/create-failover-client.ts';
import type { RedisEndpoint } from '../../../lib/control/redis/to-redis-target.ts';

type Role = 'master' | 'slave' | 'down';

/** A fake node-redis client of one endpoint; `roles` says what each port is right now. */
class FakeNode extends EventEmitter {
  isOpen = false;
  isReady = false;
  readonly channels = new Map<string, (message: string, channel: string) => void>();
  constructor(
    readonly port: number,
    private readonly roles: Map<number, Role>,
  ) {
    super();
  }
  async connect() {
    if (this.roles.get(this.port) === 'down') throw new Error(`ECONNREFUSED 127.0.0.1:${this.port}`);
    this.isOpen = this.isReady = true;
    return this;
  }
  async sendCommand(args: string[]) {
    return args[0] === 'ROLE' ? [this.roles.get(this.port)] : 'OK';
  }
  async get(key: string) {
    return `${key}@${this.port}`;
  }
  async subscribe(channel: string, listener: (message: string, channel: string) => void) {
    this.channels.set(channel, listener);
  }
  async unsubscribe(channel: string) {
    this.channels.delete(channel);
  }
  async close() {
    this.isOpen = this.isReady = false;
  }
  destroy() {
    this.isOpen = this.isReady = false;
  }
  /** The node goes away: node-redis without reconnects ends the client with 'terminated'. */
  drop() {
    this.isOpen = this.isReady = false;
    this.emit('terminated', new Error('Socket closed unexpectedly'));
    this.emit('error', new Error('Socket closed unexpectedly'));
  }
}

function setup(roles: Record<number, Role>, options: { reconnect?: boolean; waitMs?: number } = {}) {
  const state = new Map(Object.entries(roles).map(([port, role]) => [Number(port), role] as const));
  const made: FakeNode[] = [];
  const endpoints: RedisEndpoint[] = Object.keys(roles).map((port) => ({ host: '127.0.0.1', port: Number(port) }));
  const client = createFailoverClient(endpoints, ({ port }) => {
    const node = new FakeNode(port, state);
    made.push(node);
    return node;
  }, { reconnect: options.reconnect ?? true, waitMs: options.waitMs ?? 1000, backoff: () => 1 });
  const events: string[] = [];
  client.on('ready', () => void events.push(`ready ${(client as unknown as { endpoint: string }).endpoint}`));
  client.on('error', (e: Error) => void events.push(`error ${e.message}`));
  return { client: client as FakeNode & { readonly endpoint: string | undefined }, state, made, events };
}

const until = async (check: () => boolean) => {
  for (let i = 0; !check(); i++) {
    assert.ok(i < 1000, 'condition never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('createFailoverClient', () => {
  it('uses the first endpoint that answers, and says why the others did not', async () => {
    const { client, events } = setup({ 7001: 'down', 7002: 'master' });
    await client.connect();
    assert.equal(client.endpoint, '127.0.0.1:7002');
    assert.equal(client.isReady, true);
    assert.deepEqual(events, ['error 127.0.0.1:7001: ECONNREFUSED 127.0.0.1:7001', 'ready 127.0.0.1:7002']);
    assert.equal(await client.get('k'), 'k@7002');
    await client.close();
    assert.equal(client.isOpen, false);
  });

  it('prefers the primary, and takes a replica only when no node of the round is one', async () => {
    const first = setup({ 7001: 'slave', 7002: 'master' });
    await first.client.connect();
    assert.equal(first.client.endpoint, '127.0.0.1:7002');
    assert.equal(first.made.filter((n) => n.isOpen).length, 1, 'the replica found first is closed');
    const second = setup({ 7001: 'down', 7002: 'slave' });
    await second.client.connect();
    assert.equal(second.client.endpoint, '127.0.0.1:7002');
  });

  it('moves to the next endpoint when the node in use goes away, and subscribes there again', async () => {
    const { client, state, made, events } = setup({ 7001: 'master', 7002: 'slave' });
    await client.connect();
    const heard: string[] = [];
    await client.subscribe('cancel', (message) => void heard.push(message));
    const first = made.find((n) => n.port === 7001 && n.isReady)!;
    state.set(7001, 'down');
    first.drop();
    await until(() => client.endpoint === '127.0.0.1:7002');
    const second = made.find((n) => n.port === 7002 && n.isReady)!;
    second.channels.get('cancel')!('stop', 'cancel');
    assert.deepEqual(heard, ['stop']);
    assert.ok(events.includes('ready 127.0.0.1:7002'));
    await client.close();
  });

  it('keeps trying round after round until a node answers', async () => {
    const { client, state } = setup({ 7001: 'down', 7002: 'down' });
    const connected = client.connect();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(client.isReady, false);
    state.set(7002, 'master');
    await connected;
    assert.equal(client.endpoint, '127.0.0.1:7002');
    await client.close();
  });

  it('without reconnect, one round: connect() rejects naming every endpoint', async () => {
    const { client } = setup({ 7001: 'down', 7002: 'down' }, { reconnect: false });
    await assert.rejects(client.connect(), /no Redis node answered: 127\.0\.0\.1:7001, 127\.0\.0\.1:7002/);
  });

  it('a command sent while no node is connected waits for one, at most waitMs', async () => {
    const { client, state, made } = setup({ 7001: 'master', 7002: 'down' }, { waitMs: 5000 });
    await client.connect();
    state.set(7001, 'down');
    made.find((n) => n.isReady)!.drop();
    const reply = client.get('k');
    state.set(7002, 'master');
    assert.equal(await reply, 'k@7002');
    await client.close();
    await assert.rejects(client.get('k'), /closed/);

    const stuck = setup({ 7001: 'master' }, { waitMs: 10 });
    await stuck.client.connect();
    stuck.state.set(7001, 'down');
    stuck.made.find((n) => n.isReady)!.drop();
    await assert.rejects(stuck.client.get('k'), /no Redis node answered within 10 ms/);
    await stuck.client.close();
  });

  it('duplicate() makes another client of the same endpoints, not yet connected', async () => {
    const { client } = setup({ 7001: 'master' });
    const copy = (client as unknown as { duplicate(): typeof client }).duplicate();
    assert.equal(copy.isOpen, false);
    await copy.connect();
    assert.equal(copy.endpoint, '127.0.0.1:7001');
    await copy.close();
  });
});
