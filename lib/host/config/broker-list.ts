// `Worker:RabbitMQ:Host` and `Worker:RabbitMQ:Hosts`: one broker or the brokers of a cluster, as a list or as
// text separated by commas (an environment variable can only be text), each `host` or `host:port`.
import * as v from 'valibot';
import { BROKER_HOST } from '../../transports/amqp/to-amqp-url.js';

const WHAT = 'a host name, or host names (each host or host:port, port 1–65535) separated by commas or in a list';

/** The entries of a value: a list's items, or the comma-separated parts of a text; blanks dropped. */
function entriesOf(x: unknown): unknown {
  if (typeof x === 'string') return x.split(',').map((h) => h.trim()).filter((h) => h !== '');
  if (Array.isArray(x)) return x.map((h) => (typeof h === 'string' ? h.trim() : h));
  return x;
}

const validEntry = (h: unknown) => {
  if (typeof h !== 'string' || !BROKER_HOST.test(h)) return false;
  const port = h.includes(':') ? Number(h.slice(h.indexOf(':') + 1)) : 1;
  return port >= 1 && port <= 65535;
};

/** What was found: the first wrong entry of a list, or the kind of value. */
function found(input: unknown): string {
  const bad = Array.isArray(input) ? input.find((h) => !validEntry(h)) : input;
  if (typeof bad === 'string') return JSON.stringify(bad);
  if (Array.isArray(bad)) return 'a list';
  return bad === null ? 'null' : typeof bad === 'object' ? 'a section' : `a ${typeof bad}`;
}

/** The schema of a broker list: text or a list in, a list of `host` / `host:port` strings out (unset when empty). */
export function brokerList() {
  const m = (issue: v.BaseIssue<unknown>) => `expected ${WHAT}, found ${found(issue.input)}`;
  return v.optional(
    v.pipe(
      v.unknown(),
      v.check((x) => typeof x === 'string' || Array.isArray(x), m),
      v.transform(entriesOf),
      v.check((x) => Array.isArray(x) && x.every(validEntry), m),
      v.transform((x) => (x as string[]).length === 0 ? undefined : (x as string[])),
    ),
  );
}
