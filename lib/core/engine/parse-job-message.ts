// parseJobMessage(): the scheduler's job message (body, headers, properties) → a validated JobEnvelope.
// Pure and transport-neutral; the AMQP source and the serverless handler both use it (protocol §2.1, §8).
import { err, ok, type Result } from 'neverthrow';
import * as v from 'valibot';
import type { JobEnvelope } from '../vocabulary/types.js';
import { errorMessage } from '../util/error-message.js';

/** A job message as a transport hands it over. */
export interface RawJobMessage {
  /** The body: a parsed object, or its JSON text / bytes. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
  /** The AMQP `correlation_id` property. */
  readonly correlationId?: string | undefined;
  readonly redelivered?: boolean | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const Uuid = v.pipe(v.string(), v.regex(UUID, 'expected a UUID'));
const OptionalText = v.optional(v.nullable(v.string()));

/** The fields the worker reads from the body, keys lower-cased (the scheduler sends camelCase, .NET retries PascalCase). */
const BodySchema = v.object({
  id: Uuid,
  jobnameinworker: v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(256)),
  // The array first: v.record takes an array too, and made [1, 2] the object {"0": 1, "1": 2}.
  jobdata: v.optional(v.nullable(v.union([v.string(), v.array(v.unknown()), v.record(v.string(), v.unknown())]))),
  executiontimeoutseconds: v.optional(v.nullable(v.pipe(v.number(), v.integer()))),
  version: v.optional(v.nullable(v.pipe(v.number(), v.integer())), 1),
  displayname: OptionalText,
  executeat: OptionalText,
});

/** The body keys (lower-cased) a job message cannot do without, and how an error names what is needed. */
const REQUIRED_KEYS: readonly string[] = ['id', 'jobnameinworker'];
const NEEDED = "id (the scheduled job's UUID) and jobNameInWorker (the job's name), with jobData (its data as JSON) optional";

type Body = v.InferOutput<typeof BodySchema>;

/** Parses and validates a job message; the error names every problem found. */
export function parseJobMessage(message: RawJobMessage): Result<JobEnvelope, string> {
  const body = toObject(message.body);
  if (body.isErr()) return err(body.error);
  const lowered: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(body.value)) lowered[key.toLowerCase()] = value;
  const headers = message.headers ?? {};
  // The hot path: a well-formed message needs no schema run. Anything else takes the schema, which names every problem.
  const fast = wellFormed(lowered);
  const fastOccurrence = fast === undefined ? undefined : readOccurrenceId(headers, message.correlationId);
  if (fast !== undefined && fastOccurrence !== undefined) return ok(toEnvelope(fast, fastOccurrence, headers, message, body.value));
  const checked = v.safeParse(BodySchema, lowered);
  // A missing required key is named with the fields a job message needs and the ones it has (e.g. `{ jobName, jobData }`).
  const missing = REQUIRED_KEYS.filter((key) => lowered[key] === undefined);
  const problems = checked.success ? [] : checked.issues.filter((i) => !missing.includes(v.getDotPath(i) ?? '')).map((i) => `${v.getDotPath(i) ?? 'body'}: ${i.message}`);
  if (missing.length > 0) problems.unshift(`a job message needs ${NEEDED}; got ${listKeys(body.value)}`);
  const occurrenceId = readOccurrenceId(headers, message.correlationId);
  if (occurrenceId === undefined) problems.push('occurrence id: no UUID in the OccurrenceId or CorrelationId header nor in the correlation_id property');
  if (!checked.success || occurrenceId === undefined) return err(`Invalid job message: ${problems.join('; ')}`);
  return ok(toEnvelope(checked.output, occurrenceId, headers, message, body.value));
}

/** The envelope of a checked body. */
function toEnvelope(b: Body, occurrenceId: string, headers: Readonly<Record<string, unknown>>, message: RawJobMessage, body: Record<string, unknown>): JobEnvelope {
  const jobData = b.jobdata === undefined || b.jobdata === null ? undefined : typeof b.jobdata === 'string' ? b.jobdata : JSON.stringify(b.jobdata);
  return {
    jobId: b.id.toLowerCase(),
    jobName: b.jobnameinworker,
    jobData,
    occurrenceId,
    correlationId: occurrenceId,
    retryCount: toRetryCount(headers['x-retry-count']),
    redelivered: message.redelivered === true,
    executionTimeoutSeconds: b.executiontimeoutseconds ?? undefined,
    version: b.version ?? 1,
    displayName: b.displayname ?? undefined,
    executeAt: b.executeat ?? undefined,
    headers,
    body,
  };
}

const optionalText = (x: unknown): x is string | null | undefined => x === undefined || x === null || typeof x === 'string';
const optionalInteger = (x: unknown): x is number | null | undefined => x === undefined || x === null || (typeof x === 'number' && Number.isInteger(x));
// v.record leaves out the keys __proto__, prototype and constructor: an object with one of them takes the schema.
const UNSAFE_KEYS = ['__proto__', 'prototype', 'constructor'] as const;
const plainData = (x: unknown): x is Body['jobdata'] =>
  optionalText(x) ||
  Array.isArray(x) ||
  (typeof x === 'object' && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null) && !UNSAFE_KEYS.some((key) => Object.hasOwn(x, key)));

/**
 * The body as BodySchema would output it, when plain checks show that it passes (the common case), or undefined:
 * then the schema decides, and names every problem. Never accepts what the schema refuses.
 */
function wellFormed(l: Record<string, unknown>): Body | undefined {
  const { id, jobnameinworker: name, jobdata, executiontimeoutseconds: timeout, version, displayname, executeat } = l;
  if (typeof id !== 'string' || !UUID.test(id) || typeof name !== 'string' || name.length < 1 || name.length > 256) return undefined;
  if (!plainData(jobdata) || !optionalInteger(timeout) || !optionalInteger(version) || !optionalText(displayname) || !optionalText(executeat)) return undefined;
  return { id, jobnameinworker: name, jobdata, executiontimeoutseconds: timeout, version: version === undefined ? 1 : version, displayname, executeat };
}

/** The keys a body has, for errors: at most ten, each cut to 40 characters. */
function listKeys(body: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(body);
  if (keys.length === 0) return 'no fields';
  const shown = keys.slice(0, 10).map((key) => (key.length > 40 ? `${key.slice(0, 40)}…` : key));
  return keys.length > 10 ? `${shown.join(', ')} and ${keys.length - 10} more` : shown.join(', ');
}

function toObject(body: unknown): Result<Record<string, unknown>, string> {
  let value = body;
  if (value instanceof Uint8Array) value = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (typeof value === 'string') {
    if (value.trim() === '') return err('Invalid job message: the body is empty');
    try {
      value = JSON.parse(value);
    } catch (error) {
      return err(`Invalid job message: the body is not JSON (${errorMessage(error)})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return err(`Invalid job message: the body must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return ok(value as Record<string, unknown>);
}

/** Reads the occurrence id: header `OccurrenceId`, then header `CorrelationId` (string or bytes), then the property. */
export function readOccurrenceId(headers: Readonly<Record<string, unknown>>, property: string | undefined): string | undefined {
  for (const candidate of [headerText(headers['OccurrenceId']), headerText(headers['CorrelationId']), property]) {
    if (candidate !== undefined && UUID.test(candidate.trim())) return candidate.trim().toLowerCase();
  }
  return undefined;
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  return undefined;
}

/** Reads `x-retry-count` in any integer encoding (number, bigint, ≥4 little-endian bytes, digits); anything else is 0. */
export function toRetryCount(value: unknown): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (value instanceof Uint8Array && value.byteLength >= 4) n = Buffer.from(value.buffer, value.byteOffset, value.byteLength).readInt32LE(0);
  else if (typeof value === 'string' && /^\d{1,9}$/.test(value.trim())) n = Number(value.trim());
  return n !== undefined && Number.isSafeInteger(n) && n > 0 && n < 1_000_000 ? n : 0;
}
