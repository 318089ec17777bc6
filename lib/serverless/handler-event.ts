// What createHandler() takes: one job message in any of the shapes a host hands over, or the event an AWS Lambda
// receives from an Amazon MQ for RabbitMQ event source (several messages, bodies in base64).
import type { RawJobMessage } from '../core/engine/parse-job-message.js';

/**
 * The event AWS Lambda receives from an Amazon MQ for RabbitMQ event source mapping, as AWS documents it
 * ("Using Lambda with Amazon MQ", example RabbitMQ record event): messages grouped under `<queue>::<vhost>`,
 * each body base64-encoded in `data`. Header values that are AMQP long strings arrive as `{ bytes: [...] }`
 * (the Java client's byte arrays, whose bytes may be signed); numbers and booleans arrive as they are.
 *
 * @example
 * ```json
 * { "eventSource": "aws:rmq", "eventSourceArn": "arn:aws:mq:…",
 *   "rmqMessagesByQueue": { "scheduled_jobs_queue.reports.wildcard::/": [
 *     { "basicProperties": { "correlationId": "7c9e6679-…", "headers": { "CorrelationId": { "bytes": [55, 99, …] } } },
 *       "redelivered": false, "data": "eyJpZCI6…" } ] } }
 * ```
 */
export interface AmazonMqEvent {
  readonly eventSource: 'aws:rmq';
  readonly eventSourceArn?: string | undefined;
  readonly rmqMessagesByQueue: Readonly<
    Record<
      string,
      readonly {
        /** The AMQP properties (null where the message had none). */
        readonly basicProperties?:
          | {
              readonly contentType?: string | null | undefined;
              readonly contentEncoding?: string | null | undefined;
              /** Long strings as `{ bytes: number[] }`, other values as they are. */
              readonly headers?: Readonly<Record<string, unknown>> | null | undefined;
              readonly deliveryMode?: number | null | undefined;
              readonly priority?: number | null | undefined;
              readonly correlationId?: string | null | undefined;
              readonly replyTo?: string | null | undefined;
              readonly expiration?: string | null | undefined;
              readonly messageId?: string | null | undefined;
              readonly timestamp?: string | null | undefined;
              readonly type?: string | null | undefined;
              readonly userId?: string | null | undefined;
              readonly appId?: string | null | undefined;
              readonly clusterId?: string | null | undefined;
              readonly bodySize?: number | null | undefined;
            }
          | null
          | undefined;
        readonly redelivered?: boolean | undefined;
        /** The body, base64-encoded. */
        readonly data: string;
      }[]
    >
  >;
}

/** One message of an {@link AmazonMqEvent}. */
export type AmazonMqMessage = AmazonMqEvent['rmqMessagesByQueue'][string][number];

/**
 * Everything `createHandler()` takes: an Amazon MQ for RabbitMQ event, or one job message: the scheduler's JSON
 * body as text or bytes, the body as an object, or `{ body, headers }` with the AMQP headers (and
 * `correlationId`, `redelivered`) beside it. A body needs `id` (the scheduled job's UUID) and `jobNameInWorker`
 * (the job's name); `jobData` (the data as a JSON string) is optional. Without headers, the call gets an
 * occurrence id of its own.
 *
 * @example `'{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","jobNameInWorker":"SendEmailJob","jobData":"{\"to\":\"ada@example.com\"}"}'`
 * @example `Buffer.from(text)` (the same JSON as bytes)
 * @example `{ id: '0f8fad5b-…', jobNameInWorker: 'SendEmailJob', jobData: '{"to":"ada@example.com"}' }`
 * @example `{ body: text, headers: { CorrelationId: '7c9e6679-7425-40de-944b-e07fc1f90ae7' } }`
 */
export type HandlerEvent = string | Uint8Array | RawJobMessage | Readonly<Record<string, unknown>> | AmazonMqEvent;

/** One job message (any {@link HandlerEvent} but an Amazon MQ event). */
export type JobMessageEvent = Exclude<HandlerEvent, AmazonMqEvent>;
