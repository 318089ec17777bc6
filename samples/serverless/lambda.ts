// An AWS Lambda function fed by an Amazon MQ for RabbitMQ event source on the job queue: each message of the
// event runs. With MILVAION_RABBITMQ_URL set, the reporter sends each run's Running, logs and final status to
// Milvaion (so it shows in the dashboard) and publishes retries and dead letters as a worker does; without it,
// nothing is sent and the results are only returned. It also takes one message (`{ body, headers }`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHandler, type AmazonMqEvent, type HandlerEvent } from '../../lib/serverless.ts';
import { createHandlerReporter } from '../../lib/amqp.ts';
import { chargeInvoice } from '../errors/charge-invoice-job.ts';
import { generateReport } from '../reports/generate-report-job.ts';

// Made once per execution environment and reused by every invocation: the connection stays open between them.
const url = process.env['MILVAION_RABBITMQ_URL'];
export const reporter = url === undefined ? undefined : createHandlerReporter({ url, workerId: process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'reports-lambda' });

const handle = createHandler({ jobs: [generateReport, chargeInvoice], reporter });

/** The Lambda entry: one result per message for an Amazon MQ event; the job stops cleanly before the time limit. */
export const handler = <E extends HandlerEvent>(event: E, context: { getRemainingTimeInMillis(): number }) =>
  handle(event, { signal: AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - 500)) });

// `npx tsx samples/serverless/lambda.ts` runs the handler once on amazon-mq-event.json, an event as AWS sends it.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const event = JSON.parse(readFileSync(new URL('amazon-mq-event.json', import.meta.url), 'utf8')) as AmazonMqEvent;
  handler(event, { getRemainingTimeInMillis: () => 60_000 })
    .then((results) => console.log(results.map(({ queue, occurrenceId, statusName, result, published }) => ({ queue, occurrenceId, statusName, result, published }))))
    .finally(() => reporter?.close())
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
