// The socket under a rabbitmq-client Connection. The client keeps it in a private field and replaces it on every
// reconnect; this is the one place that reaches into it.
import type { Socket } from 'node:net';
import type { Connection } from 'rabbitmq-client';

/** The connection's current socket, or undefined before the first connect. */
export function connectionSocket(connection: Connection): Socket | undefined {
  return (connection as unknown as { _socket?: Socket })._socket;
}
