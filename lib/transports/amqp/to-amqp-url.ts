// The RabbitMQ connection settings (the .NET `Worker:RabbitMQ` section) and their URL, with redaction for logs.
import { WorkerDefaults } from '../../core/vocabulary/defaults.js';

const D = WorkerDefaults.rabbitMq;

/** RabbitMQ settings; `Url` wins over the parts when given (amqp:// or amqps://). */
export interface RabbitMqSettings {
  readonly url?: string | undefined;
  /** Advanced: a separate address for the publishing connection (defaults to the same broker). */
  readonly publishUrl?: string | undefined;
  readonly host?: string;
  readonly port?: number;
  /**
   * Several brokers of one cluster, in order, each `host` or `host:port` (`Port`, or the default, when absent):
   * the worker connects to the first that answers and, on a connection loss, goes on to the next
   * (`Worker:RabbitMQ:Hosts`, or a `Host` with commas). With `url`, the URL gives the user, password and vhost.
   */
  readonly hosts?: readonly string[] | undefined;
  /** The config key `hosts` came from (`Worker:RabbitMQ:Hosts`, or a `Host` with commas): startup messages name it (default `Hosts`). */
  readonly hostsKey?: 'Hosts' | 'Host' | undefined;
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

/** A `host` or `host:port` entry of a broker list (host names and IPv4 addresses). */
export const BROKER_HOST = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?::\d{1,5})?$/;

/** Builds the AMQP URL from settings (parts are percent-encoded); with `hosts`, it points at the first. */
export function toAmqpUrl(s: RabbitMqSettings): string {
  if (s.url) return s.url;
  const tls = s.ssl ?? s.tls ?? D.ssl;
  const user = encodeURIComponent(s.username ?? D.username);
  const pass = encodeURIComponent(s.password ?? D.password);
  const vhost = encodeURIComponent(s.virtualHost ?? D.virtualHost);
  const first = toAmqpHosts(s)?.[0] ?? `${s.host ?? D.host}:${s.port ?? (tls ? D.tlsPort : D.port)}`;
  return `${tls ? 'amqps' : 'amqp'}://${user}:${pass}@${first}/${vhost}`;
}

/** The broker list as `host:port` entries, or undefined for a single broker (the URL's). */
export function toAmqpHosts(s: RabbitMqSettings): string[] | undefined {
  const list = (s.hosts ?? []).map((h) => h.trim()).filter((h) => h !== '');
  if (list.length === 0) return undefined;
  const port = s.port ?? ((s.ssl ?? s.tls ?? D.ssl) ? D.tlsPort : D.port);
  return list.map((h) => (h.includes(':') ? h : `${h}:${port}`));
}

/** For log lines: the redacted URL, and the brokers it fails over to when there are several. */
export function describeBrokers(url: string, hosts: readonly string[] | undefined): string {
  return hosts === undefined || hosts.length < 2 ? redactUrl(url) : `${redactUrl(url)} (brokers ${hosts.join(', ')})`;
}

/** Where an AMQP URL points, for messages: `host:port` (the default port when absent; every broker of `hosts`), user and vhost (never the password). */
export function describeAmqpUrl(url: string, hosts?: readonly string[]): { readonly address: string; readonly user: string; readonly vhost: string } {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'amqps:' ? String(D.tlsPort) : String(D.port));
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  const address = hosts !== undefined && hosts.length > 1 ? hosts.join(', ') : `${u.hostname}:${port}`;
  return { address, user: decodeURIComponent(u.username) || D.username, vhost };
}

/** The URL with its password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}
