// The scheduler client's record of one message a worker sent: the raw AMQP message turned into its parsed body,
// its text, headers and properties, stamped with the time it arrived. A WorkerLogBatchMessage becomes one record per log.
import type { AsyncMessage } from 'rabbitmq-client';

/** One collected message: the parsed body (as sent, PascalCase from workers), its text, headers and properties. */
export interface CollectedMessage<B> {
  readonly queue: string;
  /** The body when it is a JSON object, else undefined. */
  readonly body: B | undefined;
  readonly text: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: Readonly<Omit<AsyncMessage, 'body'>>;
  readonly receivedAt: number;
  /** Set when the message came inside a WorkerLogBatchMessage: its place there and the whole batch body. */
  readonly batch?: { readonly index: number; readonly body: Readonly<Record<string, unknown>> };
}

type Json = Readonly<Record<string, unknown>>;

/** Turns a consumed message into a collected one; a body that is not a JSON object becomes undefined. */
function toCollectedMessage(queue: string, msg: AsyncMessage): CollectedMessage<Json> {
  const { body: raw, ...properties } = msg;
  let text: string;
  let value: unknown;
  if (Buffer.isBuffer(raw) || typeof raw === 'string') {
    text = raw.toString();
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  } else {
    value = raw; // already parsed: the message said application/json
    text = JSON.stringify(raw);
  }
  const body = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  return { queue, body, text, headers: { ...msg.headers }, properties, receivedAt: Date.now() };
}

/**
 * Like {@link toCollectedMessage}; with `flattenLogBatches`, a WorkerLogBatchMessage (a body whose `Logs` list is
 * not empty, keys in any case, as the .NET collector reads it) becomes one message per log, in batch order.
 */
export function toCollectedMessages(queue: string, msg: AsyncMessage, flattenLogBatches: boolean): CollectedMessage<Json>[] {
  const message = toCollectedMessage(queue, msg);
  const batch = message.body;
  const key = flattenLogBatches && batch !== undefined ? Object.keys(batch).find((k) => k.toLowerCase() === 'logs') : undefined;
  const logs: unknown = key === undefined ? undefined : batch?.[key];
  if (batch === undefined || !Array.isArray(logs) || logs.length === 0 || !logs.every(isJsonObject)) return [message];
  return logs.map((body, index) => ({ ...message, body, text: JSON.stringify(body), batch: { index, body: batch } }));
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
