/**
 * milvaion-worker/outbox: the LMDB outbox on its own (lmdb loads when the first store opens).
 * @module milvaion-worker/outbox
 */
export { createOutbox, type Outbox, type OutboxHealth, type OutboxOptions, type OutboxSettings } from './outbox/create-outbox.js';
export { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './outbox/create-outbox-relay.js';
export { openOutboxStore, type OutboxEntry, type OutboxStore, type OutboxStoreOptions, type StoredEntry } from './outbox/open-outbox-store.js';
export type { ToLogBatchBody } from './outbox/batch-log-entries.js';
