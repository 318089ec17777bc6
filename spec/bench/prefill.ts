// prefill(): the benchmarks' pre-loading of a queue, persistent messages published with confirms, 500 in flight.
import type { Connection, Envelope } from 'rabbitmq-client';

/** Publishes `count` messages made by `message(i)` and waits for every confirm. */
export async function prefill(connection: Connection, count: number, message: (i: number) => { envelope: Envelope; body: Buffer }): Promise<void> {
  const publisher = connection.createPublisher({ confirm: true, maxAttempts: 3 });
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const m = message(next++);
      await publisher.send(m.envelope, m.body);
    }
  };
  await Promise.all(Array.from({ length: Math.min(500, count) }, lane));
  await publisher.close();
}
