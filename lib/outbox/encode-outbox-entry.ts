// An outbox entry, the store's own binary layout of it, and the msgpack values an earlier version wrote.

/** One pending message: what to publish, where, and how to recognise it. */
export interface OutboxEntry {
  /** Stable across restarts and republishes: consumers can drop duplicates by it. */
  readonly messageId: string;
  readonly queue: string;
  /** The message body exactly as it is published (UTF-8 JSON), encoded once when the entry is written. */
  readonly body: Buffer;
  readonly occurrenceId: string;
  readonly kind: 'start' | 'heartbeat' | 'final' | 'log';
  readonly createdAt: number;
}

/** A pending entry with its sequence number (its place in the outbox order). */
export interface StoredEntry extends OutboxEntry {
  readonly seq: number;
}

/**
 * Entries written before the binary layout: msgpack objects holding the message object and its id.
 * They are still read and sent unchanged.
 */
export interface LegacyValue {
  readonly queue: string;
  readonly occurrenceId: string;
  readonly kind: OutboxEntry['kind'];
  readonly createdAt: number;
  readonly message: Record<string, unknown>;
  readonly messageId?: string;
}

const MAGIC = 0xc1; // a byte msgpack never uses: tells our layout from an earlier version's msgpack value
const KINDS: readonly OutboxEntry['kind'][] = ['start', 'heartbeat', 'final', 'log'];

/** Encodes an entry in the store's layout: [0xc1][kind u8][createdAt f64][queue length u16][queue][occurrence id length u16][occurrence id][body]. */
export function encodeOutboxEntry(entry: Omit<OutboxEntry, 'messageId'>): Buffer {
  // One allocation: the ids are written in place and the body copied once.
  const queueLength = Buffer.byteLength(entry.queue);
  const occurrenceLength = Buffer.byteLength(entry.occurrenceId);
  const queueEnd = 12 + queueLength;
  const bodyStart = queueEnd + 2 + occurrenceLength;
  const out = Buffer.allocUnsafe(bodyStart + entry.body.length);
  out[0] = MAGIC;
  out[1] = KINDS.indexOf(entry.kind);
  out.writeDoubleLE(entry.createdAt, 2);
  out.writeUInt16LE(queueLength, 10);
  out.write(entry.queue, 12, 'utf8');
  out.writeUInt16LE(occurrenceLength, queueEnd);
  out.write(entry.occurrenceId, queueEnd + 2, 'utf8');
  entry.body.copy(out, bodyStart);
  return out;
}

/** Decodes the store's layout back to an entry, or undefined for a value of the earlier msgpack format. */
export function decodeOutboxEntry(seq: number, value: Buffer, storeId: string): StoredEntry | undefined {
  if (value[0] !== MAGIC || value.length < 14) return undefined;
  const queueEnd = 12 + value.readUInt16LE(10);
  const occurrenceEnd = queueEnd + 2 + value.readUInt16LE(queueEnd);
  return {
    seq,
    messageId: `${storeId}-${seq}`,
    kind: KINDS[value[1]!] ?? 'log',
    createdAt: value.readDoubleLE(2),
    queue: value.toString('utf8', 12, queueEnd),
    occurrenceId: value.toString('utf8', queueEnd + 2, occurrenceEnd),
    // lmdb hands out a copy per value for binary encoding, so the body can stay a view of it.
    body: value.subarray(occurrenceEnd),
  };
}

/** An entry of the earlier msgpack format, sent unchanged. */
export function fromLegacyEntry(seq: number, value: LegacyValue | undefined, storeId: string): StoredEntry {
  return {
    seq,
    messageId: value?.messageId ?? `${storeId}-${seq}`,
    kind: value?.kind ?? 'log',
    createdAt: value?.createdAt ?? 0,
    queue: value?.queue ?? '',
    occurrenceId: value?.occurrenceId ?? '',
    body: Buffer.from(JSON.stringify(value?.message ?? {})),
  };
}
