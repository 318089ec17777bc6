// The shared source contract run against the AMQP worker (createAmqpWorker) on the real RabbitMQ through
// spec/support/amqp-harness.ts: its own vhost, the scheduler client dispatching and collecting.
import { MilvaionNames, toRoutingPattern } from '../../lib/amqp.ts';
import { toDispatchRoutingKey } from '../../lib/transports/amqp/milvaion-names.ts';
import { createAmqpHarness } from '../support/amqp-harness.ts';
import { sourceContract } from '../support/source-contract.ts';
import { needs } from '../support/services.ts';

sourceContract('AMQP worker', async (jobs) => {
  const h = await createAmqpHarness('source-contract');
  try {
    await h.startWorker({ jobs });
  } catch (error) {
    await h.close();
    throw error;
  }
  return {
    async dispatch({ jobName, data, routeAs }) {
      const { occurrenceId } = await h.scheduler.dispatch({
        jobName,
        workerId: h.workerId,
        ...(data === undefined ? {} : { data }),
        ...(routeAs === undefined ? {} : { routingPattern: toRoutingPattern(h.workerId, routeAs) }),
      });
      return occurrenceId;
    },
    async dispatchRaw(routeAs, body, headers) {
      await h.scheduler.publishRaw({
        exchange: MilvaionNames.jobsExchange,
        routingKey: toDispatchRoutingKey(toRoutingPattern(h.workerId, routeAs)),
        body,
        properties: { headers: { ...headers } },
      });
    },
    async finalStatus(occurrenceId) {
      const { body } = await h.scheduler.waitForFinalStatus(occurrenceId, { timeoutMs: 20_000 });
      return { status: Number(body?.Status), result: body?.Result ?? null, exception: body?.Exception ?? null };
    },
    async deadLetterReason(match) {
      const letter = await h.scheduler.waitFor(() => h.scheduler.deadLetters().find((m) => match(m.headers)), { what: 'the dead letter', timeoutMs: 20_000 });
      return String(letter.headers['x-dead-letter-reason']);
    },
    close: () => h.close(),
  };
}, { suite: needs('rabbitmq') });
