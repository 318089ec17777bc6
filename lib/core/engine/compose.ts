// compose(): folds middleware into one onion, outermost first. `next` may be re-entered (retry needs it).
import type { ExecutionContext, Middleware } from '../vocabulary/types.js';
import type { Outcome } from '../vocabulary/outcome.js';

/** The innermost step: runs the job for a context. */
export type Terminal = (ctx: ExecutionContext) => Promise<Outcome>;

/** Composes middleware around a terminal handler; the first middleware runs outermost. */
export function compose(middleware: readonly Middleware[], terminal: Terminal): Terminal {
  // Built once, right to left: each layer closes over the one inside it, so a call costs no array walk.
  let inner: Terminal = terminal;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const layer = middleware[i]!;
    const downstream = inner;
    // Anonymous inline closures: tsx (esbuild keepNames) wraps named ones in a costly __name call.
    inner = (ctx) => layer(ctx, (derived?: ExecutionContext) => downstream(derived ?? ctx));
  }
  return inner;
}
