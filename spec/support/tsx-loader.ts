// How specs start a child process that runs TypeScript from this checkout: `--import` with tsx's loader by
// absolute URL, so the child's working folder (often a temporary one) does not need tsx of its own.
export const TSX_IMPORT: readonly string[] = ['--import', import.meta.resolve('tsx')];
