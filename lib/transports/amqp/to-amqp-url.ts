// The RabbitMQ connection settings (the .NET `Worker:RabbitMQ` section) and their URL, with redaction for logs.
import { WorkerDefaults } from '../../core/defaults.js';

const D = WorkerDefaults.rabbitMq;

/** RabbitMQ settings; `Url` wins over the parts when given (amqp:// or amqps://). */
export interface RabbitMqSettings {
  readonly url?: string | undefined;
  /** Advanced: a separate address for the publishing connection (defaults to the same broker). */
  readonly publishUrl?: string | undefined;
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
  readonly virtualHost?: string;
  /** Use TLS (amqps://) when building the URL from parts (`Worker:RabbitMQ:Ssl`). */
  readonly ssl?: boolean;
  /** @deprecated The same as `ssl` (the config's name); read when `ssl` is unset. */
  readonly tls?: boolean;
  readonly queueType?: 'Classic' | 'Quorum';
  /** Publish statuses and logs persistent (default true); false sends them transient, as the .NET SDK does. */
  readonly persistentStatusMessages?: boolean;
  /** The broker's consumer_timeout, for the warning about longer jobs (default 1800). */
  readonly consumerTimeoutSeconds?: number;
  /** Logs as WorkerLogBatchMessages (`Worker:RabbitMQ:LogBatching`, default false: single WorkerLogMessages). */
  readonly logBatching?: boolean;
  readonly heartbeatSeconds?: number;
  readonly retryLowMs?: number;
  readonly retryHighMs?: number;
}

/** Builds the AMQP URL from settings (parts are percent-encoded). */
export function toAmqpUrl(s: RabbitMqSettings): string {
  if (s.url) return s.url;
  const tls = s.ssl ?? s.tls ?? D.ssl;
  const user = encodeURIComponent(s.username ?? D.username);
  const pass = encodeURIComponent(s.password ?? D.password);
  const vhost = encodeURIComponent(s.virtualHost ?? D.virtualHost);
  return `${tls ? 'amqps' : 'amqp'}://${user}:${pass}@${s.host ?? D.host}:${s.port ?? (tls ? D.tlsPort : D.port)}/${vhost}`;
}

/** Where an AMQP URL points, for messages: `host:port` (the default port when absent), user and vhost (never the password). */
export function describeAmqpUrl(url: string): { readonly address: string; readonly user: string; readonly vhost: string } {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'amqps:' ? String(D.tlsPort) : String(D.port));
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  return { address: `${u.hostname}:${port}`, user: decodeURIComponent(u.username) || D.username, vhost };
}

/** The URL with its password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}
