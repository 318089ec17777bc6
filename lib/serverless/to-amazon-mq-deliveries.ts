// toAmazonMqDeliveries(): an Amazon MQ for RabbitMQ Lambda event → one delivery per message, with the body
// decoded from base64 and the headers from AWS's encoding (long strings as `{ bytes: [...] }`, see handler-event.ts).
import { err, ok, type Result } from 'neverthrow';
import type { AmazonMqEvent, AmazonMqMessage } from './handler-event.js';

/** One message of the event, ready for parseJobMessage(); `problem` says why it cannot be read. */
export interface AmazonMqDelivery {
  /** The queue it was consumed from (the part of the event's key before `::`). */
  readonly queue: string;
  readonly virtualHost: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly correlationId: string | undefined;
  readonly contentType: string | undefined;
  readonly redelivered: boolean;
  readonly problem: string | undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads every message of the event, in the event's order; the error names what the event lacks. */
export function toAmazonMqDeliveries(event: AmazonMqEvent): Result<AmazonMqDelivery[], string> {
  const source: unknown = event.eventSource;
  if (source === 'aws:amq') {
    return err('Invalid Amazon MQ event: this is an ActiveMQ event (eventSource aws:amq); Milvaion publishes jobs over RabbitMQ, so the event source must be an Amazon MQ for RabbitMQ broker (aws:rmq)');
  }
  const byQueue: unknown = event.rmqMessagesByQueue;
  if (typeof byQueue !== 'object' || byQueue === null || Array.isArray(byQueue)) {
    return err(`Invalid Amazon MQ event: it needs rmqMessagesByQueue, an object of "<queue>::<vhost>" keys each with a list of messages; got ${describe(byQueue)}`);
  }
  const deliveries: AmazonMqDelivery[] = [];
  for (const [key, messages] of Object.entries(byQueue as Record<string, unknown>)) {
    const at = key.lastIndexOf('::');
    if (at <= 0) return err(`Invalid Amazon MQ event: the key "${key}" of rmqMessagesByQueue is not "<queue>::<vhost>"`);
    if (!Array.isArray(messages)) return err(`Invalid Amazon MQ event: rmqMessagesByQueue["${key}"] must be a list of messages; got ${describe(messages)}`);
    const queue = key.slice(0, at);
    const virtualHost = key.slice(at + 2) || '/';
    for (const message of messages as unknown[]) deliveries.push(toDelivery(queue, virtualHost, message));
  }
  return ok(deliveries);
}

function toDelivery(queue: string, virtualHost: string, message: unknown): AmazonMqDelivery {
  const base = { queue, virtualHost, body: Buffer.alloc(0), headers: {}, correlationId: undefined, contentType: undefined, redelivered: false };
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ...base, problem: `Invalid Amazon MQ message: a message needs data (the base64 body), with basicProperties and redelivered optional; got ${describe(message)}` };
  }
  const m = message as Partial<Record<keyof AmazonMqMessage, unknown>>;
  const properties = typeof m.basicProperties === 'object' && m.basicProperties !== null ? (m.basicProperties as Record<string, unknown>) : {};
  const headers = typeof properties['headers'] === 'object' && properties['headers'] !== null ? (toHeaderValue(properties['headers']) as Record<string, unknown>) : {};
  const read = {
    ...base,
    headers,
    correlationId: typeof properties['correlationId'] === 'string' ? properties['correlationId'] : undefined,
    contentType: typeof properties['contentType'] === 'string' ? properties['contentType'] : undefined,
    redelivered: m.redelivered === true,
  };
  if (typeof m.data !== 'string') {
    return { ...read, problem: `Invalid Amazon MQ message: a message needs data (the base64 body), with basicProperties and redelivered optional; got ${Object.keys(m).join(', ') || 'no fields'}` };
  }
  const data = m.data.replace(/\s+/g, '');
  if (!BASE64.test(data)) return { ...read, problem: 'Invalid Amazon MQ message: data is not base64' };
  return { ...read, body: Buffer.from(data, 'base64'), problem: undefined };
}

/**
 * Decodes a header value from AWS's JSON: `{ bytes: [...] }` (an AMQP long string; the bytes may be signed, as
 * Java's are) becomes a string when it is UTF-8, else a Buffer; tables and arrays (`x-death`) are decoded inside.
 */
function toHeaderValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toHeaderValue);
  if (typeof value !== 'object' || value === null) return value;
  const bytes = (value as { bytes?: unknown }).bytes;
  if (Object.keys(value).length === 1 && Array.isArray(bytes) && bytes.every((b) => Number.isInteger(b) && b >= -128 && b <= 255)) {
    const buffer = Buffer.from((bytes as number[]).map((b) => b & 0xff));
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    } catch {
      return buffer;
    }
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toHeaderValue(inner)]));
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? `an object with ${Object.keys(value).join(', ') || 'no fields'}` : `a ${typeof value}`;
}
