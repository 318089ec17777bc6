// A Lambda-style handler: the scheduler's message in, the final status out; stops cleanly before the time limit.
import { handle } from './handler.ts';

export interface LambdaEvent {
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const handler = async (event: LambdaEvent, context: { getRemainingTimeInMillis(): number }) =>
  handle({ body: event.body, headers: event.headers }, { signal: AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - 500)) });
