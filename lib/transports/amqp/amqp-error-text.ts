// The text of a rabbitmq-client error for log lines. Its connection errors read "undefined: ACCESS_REFUSED - …"
// when the broker's close frame names no method; the "undefined: " says nothing and is cut. Its "channel
// aquisition timed out" (sic) only means that no connection came in time: said in words a user can act on.

const CLIENT_TIMEOUT = 'channel aquisition timed out';

/** `error.message` without rabbitmq-client's "undefined: " prefix; anything not an Error as text. */
export function amqpErrorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (text === CLIENT_TIMEOUT) return 'no connection to the broker in time';
  return text.startsWith('undefined: ') ? text.slice('undefined: '.length) : text;
}

/** Whether an error is rabbitmq-client's own wait for a connection running out (not why there is none). */
export function isClientTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === CLIENT_TIMEOUT;
}

/** The AMQP reply code name of an error (`ACCESS_REFUSED`, `NOT_ALLOWED`, …) or a socket code (`ECONNREFUSED`). */
export function amqpErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether the broker refused us for who we are (login, vhost, permissions): retrying will not help. */
export function isRefusal(error: unknown): boolean {
  const code = amqpErrorCode(error);
  return code === 'ACCESS_REFUSED' || code === 'NOT_ALLOWED';
}
