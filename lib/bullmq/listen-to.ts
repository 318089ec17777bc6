// Adding a set of listeners to an event emitter (a BullMQ Worker or QueueEvents) and removing exactly those.
import type { EventEmitter } from 'node:events';

/** Adds each listener to `emitter` under its event name; returns the function that removes them all. */
export function listenTo(emitter: EventEmitter, listeners: Readonly<Record<string, (...args: never[]) => void>>): () => void {
  const entries = Object.entries(listeners) as [string, (...args: unknown[]) => void][];
  for (const [event, listener] of entries) emitter.on(event, listener);
  return () => {
    for (const [event, listener] of entries) emitter.off(event, listener);
  };
}
