// DocProblem: one thing wrong in a document (a type error in a block, a failing runnable block, a broken link),
// reported as `docs/x.md:LINE: message` so an editor jumps to it.

/** Something wrong at a line of a markdown document. */
export interface DocProblem {
  readonly document: string;
  readonly line: number;
  readonly message: string;
}

/** `document:line: message`, the way compilers report. */
export function toProblemText(problem: DocProblem): string {
  return `${problem.document}:${problem.line}: ${problem.message}`;
}
