// checkPublishTopology(): at start, before any job is consumed, the publish connection declares once what the
// publishers declare on their first message (the status, log, registration, heartbeat and failed-jobs queues
// and the two exchanges). A user whose permissions leave one of them out, or a queue of another type, then
// fails the start with one line, instead of a worker that runs jobs while every status and log waits in its
// outbox and the dashboard hears nothing.
import type { Connection } from 'rabbitmq-client';
import { publisherTopology, type QueueType } from '../transports/amqp/create-amqp-publisher.js';
import { amqpErrorCode, amqpErrorText, isRefusal } from '../transports/amqp/amqp-error-text.js';
import { StartupError } from './startup-error.js';
import type { StartupWatch } from './watch-startup.js';

/** Pause between attempts while the broker is away (the startup watch's timeout ends the wait). */
const RETRY_MS = 250;

/**
 * Declares the publishers' exchanges, queues and binding (the same arguments they use). A refusal or a queue
 * type mismatch goes to the watch, which fails the start; anything else (no connection yet) is tried again
 * until it works or the start has ended. Resolves true when all is declared, false when the start failed.
 */
export async function checkPublishTopology(connection: Connection, queueType: QueueType, watch: StartupWatch): Promise<boolean> {
  const topology = publisherTopology(queueType);
  let ended = false;
  watch.failed.catch(() => (ended = true));
  while (!ended) {
    try {
      for (const exchange of topology.exchanges) await connection.exchangeDeclare(exchange);
      for (const queue of topology.queues) await connection.queueDeclare(queue);
      for (const binding of topology.queueBindings) await connection.queueBind(binding);
      return true;
    } catch (error) {
      watch.observe(error);
      // Neither passes on retry. The watch has already failed the start for a refusal or another queue type,
      // with its own line; this one is for a queue that exists with other arguments.
      if (isRefusal(error) || amqpErrorCode(error) === 'PRECONDITION_FAILED') {
        watch.fail(mismatchError(error));
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  return false;
}

function mismatchError(error: unknown): StartupError {
  const message = `RabbitMQ refused to declare a queue or exchange the worker publishes to (${amqpErrorText(error)}): it exists with other arguments; delete it or declare it as Milvaion does`;
  return new StartupError(message, 'rabbitmq', 'refused');
}
