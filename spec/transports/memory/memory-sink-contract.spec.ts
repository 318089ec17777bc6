// The shared Sink contract run against the in-memory sink (createMemorySink): the reference implementation,
// where records arrive the moment write is called and the order across statuses and logs holds too.
import { createMemorySink } from '../../../lib/transports/memory/create-memory-sink.ts';
import { sinkContract, toDelivered } from '../../support/sink-contract.ts';

sinkContract('memory sink', async () => {
  const sink = createMemorySink();
  const snapshot = () => Promise.resolve(sink.records.map(toDelivered));
  return {
    sink,
    sent: snapshot,
    received: snapshot,
    close: () => Promise.resolve(),
  };
});
