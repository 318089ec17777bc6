// The shared source contract run against the embedded worker (createEmbeddedWorker): messages in the
// scheduler's wire shape go through dispatch(), statuses come back through its memory sink.
import { createEmbeddedWorker, type EmbeddedWorker } from '../../../lib/index.ts';
import { toDispatchMessage } from '../../../lib/scheduler-client/to-dispatch-message.ts';
import { eventually } from '../../support/eventually.ts';
import { sourceContract } from '../../support/source-contract.ts';

sourceContract('embedded worker', async (jobs) => {
  const worker: EmbeddedWorker = createEmbeddedWorker({ jobs });
  return {
    async dispatch({ jobName, data }) {
      const message = toDispatchMessage({ jobName, workerId: 'embedded', ...(data === undefined ? {} : { data }) });
      const occurrenceId = worker.dispatch({ body: message.body, headers: message.headers, correlationId: message.occurrenceId });
      if (occurrenceId === undefined) throw new Error(`the embedded worker refused ${jobName}: ${worker.deadLetters.at(-1)?.reason}`);
      return occurrenceId;
    },
    async dispatchRaw(_routeAs, body, headers) {
      worker.dispatch({ body, headers });
    },
    async finalStatus(occurrenceId) {
      const { status, result, exception } = await worker.wait(occurrenceId);
      return { status, result, exception };
    },
    async deadLetterReason(match) {
      const find = () => worker.deadLetters.find((d) => match(d.message.headers ?? {}));
      await eventually(() => find() !== undefined, 'the dead letter');
      return find()!.reason;
    },
    close: () => worker.close({ graceMs: 1000 }),
  };
});
