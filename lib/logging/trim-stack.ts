// Stack frames for the technical log: the frames of Node itself, of dependencies and of the tsx/esbuild loader are
// cut and counted on one `(n runtime frames)` line, so a job's own frames stand out. The Exception string sent to
// the scheduler (core/engine/format-exception.ts) keeps every frame.

/** Frames that belong to the runtime rather than to the job. */
const RUNTIME_FRAME = [
  // Node's own modules: node:internal/…, node:events, node:async_hooks
  /\(node:|^\s*at (?:async )?node:/,
  // dependencies, this package among them once it is installed
  /[\\/]node_modules[\\/]/,
  // the tsx loader and esbuild outside a node_modules folder (npx cache, global install)
  /[\\/](?:tsx|esbuild)[\\/]dist[\\/]/,
];

/** Whether a stack frame (`    at fn (file:line:col)`) is runtime-internal. */
export function isRuntimeFrame(frame: string): boolean {
  return RUNTIME_FRAME.some((pattern) => pattern.test(frame));
}

/** The job's frames in their order, then one `(n runtime frames)` line when any frame was cut. */
export function trimFrames(frames: readonly string[]): string[] {
  const kept = frames.filter((frame) => !isRuntimeFrame(frame));
  const cut = frames.length - kept.length;
  return cut === 0 ? kept : [...kept, `    (${cut} runtime frames)`];
}
