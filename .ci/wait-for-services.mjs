// Waits (up to 90 s) until RabbitMQ completes an AMQP handshake and Redis answers PING on 127.0.0.1.
// A listening port is not enough for RabbitMQ: it accepts TCP before the broker app is ready.
import { Connection } from 'rabbitmq-client';
import { createClient } from 'redis';

const deadline = Date.now() + 90_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function amqpReady() {
  const rabbit = new Connection({ url: 'amqp://guest:guest@127.0.0.1:5672', retryLow: 200, retryHigh: 1000, connectionTimeout: 3000 });
  rabbit.on('error', () => {});
  try {
    await rabbit.onConnect(Math.max(1000, deadline - Date.now()));
    await rabbit.queueDeclare({ queue: '', exclusive: true });
  } finally {
    rabbit.close().catch(() => {});
  }
}

async function redisReady() {
  for (;;) {
    const client = createClient({ url: 'redis://127.0.0.1:6379', socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      await client.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

try {
  await Promise.all([amqpReady(), redisReady()]);
  console.log('RabbitMQ and Redis are ready');
  process.exit(0);
} catch (error) {
  console.error('services not ready:', error);
  process.exit(1);
}
