// StartupError: the worker could not start, and retrying will not help (a refusal) or did not (the startup
// timeout passed). Its message is one line that names the setting to check; it never carries a password.

/** Why a worker's start failed. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    message: string,
    /** The service that failed: the broker or Redis. */
    readonly service: 'rabbitmq' | 'redis',
    /** `refused`: credentials, vhost, permissions or a queue type that differs from the broker's; `unreachable`: no connection within the startup timeout. */
    readonly reason: 'refused' | 'unreachable',
  ) {
    super(message);
  }
}
