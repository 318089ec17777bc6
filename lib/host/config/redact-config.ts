// Redaction of a loaded worker configuration for logs and the `check` command: every password form is hidden.
import { redactUrl } from '../../transports/amqp/to-amqp-url.js';
import type { WorkerConfig } from './worker-config.js';

const MASK = '***';

/** A URL or connection string (`amqp://u:p@…`, `redis://u:p@…`, StackExchange `…,password=…`) with passwords masked. */
export function redactSecrets(text: string): string {
  return (
    redactUrl(text)
      // Greedy to the last '@' of the authority, so a password holding a raw '@' is masked whole.
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@,\s]*):[^/,\s]*@/gi, `$1:${MASK}@`)
      .replace(/((?:^|[,?&;])\s*password\s*=)[^,&;]*/gi, `$1${MASK}`)
  );
}

/** A deep copy of the configuration that is safe to print: RabbitMQ and Redis passwords are masked. */
export function redactConfig(config: WorkerConfig): unknown {
  const copy = structuredClone(config);
  const { rabbitMq, redis } = copy.worker;
  return {
    ...copy,
    worker: {
      ...copy.worker,
      rabbitMq: { ...rabbitMq, password: MASK, url: rabbitMq.url === undefined ? undefined : redactSecrets(rabbitMq.url) },
      redis:
        redis === undefined
          ? undefined
          : { ...redis, password: redis.password === undefined ? undefined : MASK, connectionString: redactSecrets(redis.connectionString) },
    },
  };
}
