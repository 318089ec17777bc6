// A stream for createLogger() in specs: keeps every write, and splits what was written into lines.

/** What a logger wrote: the raw chunks and the lines (without the final line break). */
export interface CollectedStream {
  write(chunk: string): boolean;
  readonly chunks: string[];
  /** Every line written so far, blank ones included (a reporter must not write any). */
  lines(): string[];
  /** Every line parsed as JSON (throws on a line that is not). */
  records(): Record<string, unknown>[];
  isTTY?: boolean;
}

/** Creates a collecting stream; `tty` makes it look like a terminal (createLogger's default format is text then). */
export function collectStream(tty = false): CollectedStream {
  const chunks: string[] = [];
  const lines = () => chunks.join('').replace(/\n$/, '').split('\n').filter((_, i, all) => all.length > 1 || all[0] !== '');
  return {
    chunks,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    lines,
    records: () => lines().map((line) => JSON.parse(line) as Record<string, unknown>),
    ...(tty ? { isTTY: true } : {}),
  };
}
