// The RabbitMQ connection settings (the .NET `Worker:RabbitMQ` section) and their URL, with redaction for logs.

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
  /** Use TLS (amqps://) when building the URL from parts. */
  readonly tls?: boolean;
  readonly queueType?: 'Classic' | 'Quorum';
  /** Publish statuses and logs persistent (default true); false sends them transient, as the .NET SDK does. */
  readonly persistentStatusMessages?: boolean;
  readonly heartbeatSeconds?: number;
  readonly retryLowMs?: number;
  readonly retryHighMs?: number;
}

/** Builds the AMQP URL from settings (parts are percent-encoded). */
export function toAmqpUrl(s: RabbitMqSettings): string {
  if (s.url) return s.url;
  const scheme = s.tls ? 'amqps' : 'amqp';
  const user = encodeURIComponent(s.username ?? 'guest');
  const pass = encodeURIComponent(s.password ?? 'guest');
  const vhost = encodeURIComponent(s.virtualHost ?? '/');
  return `${scheme}://${user}:${pass}@${s.host ?? 'localhost'}:${s.port ?? (s.tls ? 5671 : 5672)}/${vhost}`;
}

/** The URL with its password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}
