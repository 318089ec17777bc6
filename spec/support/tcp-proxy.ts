// createTcpProxy(): a loopback TCP proxy for fault-injection specs. cut() drops every live connection and
// refuses new ones until restore(); onData taps the raw bytes in both directions.
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
  /** Optional tap: `upstream` = client → target, `downstream` = target → client. */
  onData: ((direction: ProxyDirection, chunk: Buffer) => void) | undefined;
  /** Resets both sides of every live connection and resets new ones at once until restore(). */
  cut(): void;
  /** Accepts and forwards connections again. */
  restore(): void;
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
    client.pipe(target);
    target.pipe(client);
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
