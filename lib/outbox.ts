// milvaion-worker/outbox: the LMDB outbox on its own (lmdb loads when the first store opens).
export { createOutbox, type Outbox, type OutboxHealth, type OutboxOptions, type OutboxSettings } from './outbox/create-outbox.js';
export { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './outbox/create-outbox-relay.js';
export { openOutboxStore, type OutboxStore, type StoredEntry } from './outbox/open-outbox-store.js';
