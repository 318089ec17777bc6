// A fake of the outbox relay's MessageChannel port: records every publish, and confirms, fails or holds
// them as a spec says; the connection state and `whenConnected` are scripted too.
import type { MessageChannel, OutgoingMessage } from '../../lib/core/vocabulary/ports.ts';

/** How a {@link FakeMessageChannel} answers a publish. */
type PublishMode = 'confirm' | 'fail' | 'hold';

/** The fake channel and its controls. */
export interface FakeMessageChannel extends MessageChannel {
  /** Every publish call, in call order. */
  readonly attempts: OutgoingMessage[];
  /** Confirmed publishes, in confirm order. */
  readonly confirmed: OutgoingMessage[];
  /** Timeouts `whenConnected` was called with. */
  readonly waits: number[];
  mode: PublishMode;
  /** Fails only the publishes it returns true for (in `confirm` mode). */
  failIf: (message: OutgoingMessage) => boolean;
  connected: boolean;
  /** Publishes waiting in `hold` mode. */
  readonly held: number;
  /** Confirms every held publish. */
  confirmHeld(): void;
  /** Marks the connection up and resolves every pending `whenConnected`. */
  reconnect(): void;
}

/** Creates a {@link FakeMessageChannel} that confirms every publish at once. */
export function fakeMessageChannel(): FakeMessageChannel {
  const attempts: OutgoingMessage[] = [];
  const confirmed: OutgoingMessage[] = [];
  const waits: number[] = [];
  const held: (() => void)[] = [];
  const connecting: (() => void)[] = [];
  const self: FakeMessageChannel = {
    attempts,
    confirmed,
    waits,
    mode: 'confirm',
    failIf: () => false,
    connected: true,
    get held() {
      return held.length;
    },
    publish(message) {
      attempts.push(message);
      if (self.mode === 'fail' || self.failIf(message)) return Promise.reject(new Error('channel closed'));
      if (self.mode === 'hold') {
        return new Promise<void>((resolve) =>
          held.push(() => {
            confirmed.push(message);
            resolve();
          }),
        );
      }
      confirmed.push(message);
      return Promise.resolve();
    },
    whenConnected(timeoutMs) {
      waits.push(timeoutMs);
      if (self.connected) return Promise.resolve();
      return new Promise<void>((resolve) => connecting.push(resolve));
    },
    confirmHeld() {
      for (const confirm of held.splice(0)) confirm();
    },
    reconnect() {
      self.connected = true;
      for (const resolve of connecting.splice(0)) resolve();
    },
  };
  return self;
}
