// AMQP int32 header values for rabbitmq-client. The client encodes every small number as a signed byte
// ('b'); the .NET SDK reads `x-retry-count` and `MaxRetries` only as int/long/byte[] and turns a byte into
// 0 (protocol §1.6, §8 rule 7). This patch lets a header value be marked int32 and encodes it as 'I'.
import { createRequire } from 'node:module';

const INT32 = Symbol.for('milvaion-worker.int32');

/** A header value that must travel as an AMQP signed 32-bit integer (`I`). */
export interface Int32Header {
  readonly [INT32]: true;
  readonly value: number;
}

/** Marks a header value as AMQP int32. */
export function int32(value: number): Int32Header {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`int32 header out of range: ${value}`);
  return { [INT32]: true, value };
}

function isInt32(value: unknown): value is Int32Header {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[INT32] === true;
}

type Params = { headers?: Record<string, unknown> } & Record<string, unknown>;
type GenContentFrames = (channelId: number, params: Params, body: Buffer, frameMax: number) => Generator<Buffer>;

let installed = false;

/**
 * Installs the encoder patch once per process. It wraps rabbitmq-client's content-frame generator: int32
 * markers are first encoded as empty long strings (`S` + 4 zero bytes, the same size as `I` + int32), then
 * those five bytes after the header's key are rewritten to `I` + the big-endian value. Same length, so no
 * frame or table size changes. Verified by a spec that reads the raw bytes on the wire.
 */
export function installInt32Headers(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const codec = require('rabbitmq-client/lib/codec.js') as { genContentFrames: GenContentFrames };
  const original = codec.genContentFrames;
  if (typeof original !== 'function') throw new Error('rabbitmq-client changed: codec.genContentFrames is missing; int32 headers cannot be encoded');
  // A plain function, not a generator: a message without int32 markers (every status and log) gets the
  // original frames with no extra generator in between.
  codec.genContentFrames = function genContentFrames(channelId, params, body, frameMax) {
    const headers = params.headers;
    const marked = headers ? Object.entries(headers).filter(([, v]) => isInt32(v)) : [];
    if (marked.length === 0) return original(channelId, params, body, frameMax);
    const plain: Record<string, unknown> = { ...headers };
    for (const [key] of marked) plain[key] = '';
    return patchedFrames(original(channelId, { ...params, headers: plain }, body, frameMax), marked as [string, Int32Header][]);
  };
  installed = true;
}

/** The original frames, with frame 1 (the content header holding the properties table) patched. */
function* patchedFrames(frames: Generator<Buffer>, marked: readonly [string, Int32Header][]): Generator<Buffer> {
  let index = 0;
  for (const frame of frames) {
    // Frame 0 is basic.publish, frame 1 the content header.
    if (index++ === 1) for (const [key, value] of marked) patchInt32(frame, key, value.value);
    yield frame;
  }
}

function patchInt32(frame: Buffer, key: string, value: number): void {
  const keyBytes = Buffer.from(key, 'utf8');
  const needle = Buffer.concat([Buffer.from([keyBytes.length]), keyBytes, Buffer.from([0x53, 0, 0, 0, 0])]);
  const at = frame.indexOf(needle);
  if (at < 0) throw new Error(`int32 header "${key}" not found in the encoded frame`);
  const typeAt = at + 1 + keyBytes.length;
  frame.writeUInt8(0x49, typeAt); // 'I'
  frame.writeInt32BE(value, typeAt + 1);
}
