// StartupError: the worker could not start, and retrying will not help (a refusal, an outbox it cannot open)
// or did not (the startup timeout passed). Its message is one line that names the setting to check; it never
// carries a password.

/** Why a worker's start failed. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    message: string,
    /** What failed: the broker, Redis, or the outbox's local store. */
    readonly service: 'rabbitmq' | 'redis' | 'outbox',
    /**
     * `refused`: credentials, vhost, permissions or a queue type that differs from the broker's; for the outbox, a
     * folder another live process holds or a store that cannot be created or opened. `unreachable`: no
     * connection within the startup timeout.
     */
    readonly reason: 'refused' | 'unreachable',
  ) {
    super(message);
  }
}
