// Milliseconds as seconds for status and log texts.

/** Seconds for messages: whole when whole, else up to milliseconds. */
export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
