// createTcpProxy(): a loopback TCP proxy for fault-injection specs. cut() drops every live connection and
// refuses new ones until restore(); stall() keeps them open but forwards nothing (a black-holed network, or a
// broker that stopped reading) until resume(); onData taps the raw bytes in both directions.
import net from 'node:net';

export interface TcpProxyOptions {
  readonly targetPort: number;
  /** Must be a 127.0.0.0/8 address. Default 127.0.0.1. */
  readonly targetHost?: string;
}

export type ProxyDirection = 'upstream' | 'downstream';

export interface TcpProxy {
  /** The ephemeral port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Live client↔target pairs. */
  readonly connections: number;
  /** True between cut() and restore(). */
  readonly isCut: boolean;
  /** True between stall() and resume(). */
  readonly isStalled: boolean;
  /** Optional tap: `upstream` = client → target, `downstream` = target → client. */
  onData: ((direction: ProxyDirection, chunk: Buffer) => void) | undefined;
  /** Resets both sides of every live connection and resets new ones at once until restore(). */
  cut(): void;
  /** Accepts and forwards connections again. */
  restore(): void;
  /** Stops forwarding bytes in both directions on every connection, live and new, without closing any. */
  stall(): void;
  /** Forwards again what stall() held, and everything after it. */
  resume(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly target: net.Socket;
}

/** Starts a TCP proxy on 127.0.0.1 with an ephemeral port that forwards to a loopback target. */
export async function createTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(targetHost)) throw new Error(`createTcpProxy: target ${targetHost} is not a 127.0.0.0/8 address`);
  const pairs = new Set<Pair>();
  let cut = false;
  let stalled = false;
  const forward = (pair: Pair) => {
    pair.client.pipe(pair.target);
    pair.target.pipe(pair.client);
  };
  const hold = ({ client, target }: Pair) => {
    client.unpipe(target);
    target.unpipe(client);
    client.pause();
    target.pause();
  };

  const server = net.createServer({ noDelay: true }, (client) => {
    client.on('error', () => undefined); // a reset or a destroyed peer: the 'close' handler cleans up
    if (cut) return reset(client);
    const target = net.connect({ host: targetHost, port: options.targetPort, noDelay: true });
    target.on('error', () => undefined);
    const pair: Pair = { client, target };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      reset(client);
      reset(target);
    };
    client.on('close', drop);
    target.on('close', drop);
    client.on('data', (chunk: Buffer) => proxy.onData?.('upstream', chunk));
    target.on('data', (chunk: Buffer) => proxy.onData?.('downstream', chunk));
    // A 'data' listener (the tap) makes a socket flow: a stalled pair is paused so its bytes wait for resume().
    if (stalled) hold(pair);
    else forward(pair);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('createTcpProxy: no TCP address');

  const proxy: TcpProxy = {
    port: address.port,
    get connections() {
      return pairs.size;
    },
    get isCut() {
      return cut;
    },
    get isStalled() {
      return stalled;
    },
    onData: undefined,
    cut() {
      cut = true;
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        reset(pair.client);
        reset(pair.target);
      }
    },
    restore() {
      cut = false;
    },
    stall() {
      stalled = true;
      for (const pair of pairs) hold(pair);
    },
    resume() {
      if (!stalled) return;
      stalled = false;
      for (const pair of pairs) forward(pair);
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** Sends RST where the socket allows it (the peer sees ECONNRESET at once), else destroys it. */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) return void socket.destroy(); // resetAndDestroy() would wait for the connect first
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
