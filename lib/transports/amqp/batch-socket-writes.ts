// One socket write per event-loop turn instead of one per AMQP frame. rabbitmq-client corks and uncorks
// its socket around each message, so every ack and every publish is its own write system call; profiled at
// concurrency 100 that was about a sixth of the worker's busy CPU. This holds the socket corked from the first write
// of a turn until setImmediate, so everything written while handling one batch of I/O leaves together.
import type { Socket } from 'node:net';
import type { Connection } from 'rabbitmq-client';
import { connectionSocket } from './connection-socket.js';

const batched = new WeakSet<Socket>();

/** Batches the connection's socket writes per event-loop turn, on this socket and after every reconnect. */
export function batchSocketWrites(connection: Connection): void {
  const patch = () => {
    const socket = connectionSocket(connection);
    if (socket === undefined || batched.has(socket)) return;
    batched.add(socket);
    const write = socket.write;
    let corked = false;
    const flush = () => {
      corked = false;
      // end() and destroy() flush or drop what is corked themselves; uncork on a live socket only.
      if (socket.writableCorked > 0 && !socket.destroyed) socket.uncork();
    };
    socket.write = function batchedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
      if (!corked && !socket.destroyed) {
        corked = true;
        socket.cork();
        setImmediate(flush);
      }
      return write.apply(socket, args);
    } as Socket['write'];
  };
  connection.on('connection', patch);
  patch();
}
