// The error of an outbox store that cannot be opened or locked.

/** The store cannot be opened; the message says where it is and what to do. */
export class OutboxStoreError extends Error {
  override readonly name = 'OutboxStoreError';
}
