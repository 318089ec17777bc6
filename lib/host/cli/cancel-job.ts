// `milvaion-worker cancel`: cancels an occurrence as Milvaion's scheduler does, by publishing its cancellation
// message on the Redis channel the workers subscribe to (Worker:Redis of the configuration), and says how many
// subscribers received it.
import { createCancellationPublisher, toOccurrenceId, type CancellationPublisher } from '../../scheduler-client/create-cancellation-publisher.js';
import type { RedisConfig } from '../config/worker-config.js';

type Out = { log(line: string): void; error(line: string): void };

/** Options of {@link cancelJob}. */
export interface CancelJobOptions {
  /** `Worker:Redis` of the configuration. */
  readonly redis: RedisConfig;
  readonly occurrenceId: string;
  readonly reason: string | undefined;
  readonly out: Out;
}

/** Publishes the cancellation and prints one line; resolves with the CLI exit code (0 published, 1 Redis failed, 2 not a UUID, 78 bad Redis settings). */
export async function cancelJob(options: CancelJobOptions): Promise<number> {
  const { out } = options;
  const id = toOccurrenceId(options.occurrenceId);
  if (id.isErr()) {
    out.error(id.error);
    return 2;
  }
  let publisher: CancellationPublisher;
  try {
    publisher = createCancellationPublisher(options.redis);
  } catch (error) {
    out.error((error as Error).message);
    return 78;
  }
  try {
    const sent = await publisher.publish({ occurrenceId: id.value, reason: options.reason ?? 'Cancelled with milvaion-worker cancel' });
    const heard = sent.receivers === 0 ? 'no subscriber received it (no worker listens on this Redis and channel)' : `${sent.receivers} subscriber${sent.receivers === 1 ? '' : 's'} received it`;
    out.log(`Published the cancellation of occurrence ${sent.occurrenceId} on ${sent.address} channel ${sent.channel}: ${heard}`);
    return 0;
  } catch (error) {
    out.error(`Nothing was published: ${(error as Error).message}`);
    return 1;
  } finally {
    await publisher.close();
  }
}
