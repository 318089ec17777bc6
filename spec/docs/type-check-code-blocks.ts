// typeCheckCodeBlocks(): every written block in ONE TypeScript program, with the options a user's project
// would have (strict, module nodenext, ES modules), against whatever `milvaion-worker` resolves to from the
// blocks' folder (the built package copy, by self-reference). Errors come back at their markdown lines.
import path from 'node:path';
import ts from 'typescript';
import type { DocProblem } from './doc-problem.ts';
import type { WrittenBlock } from './write-code-blocks.ts';

/** A user's project: strict, nodenext, every file an ES module; no emit. Library .d.ts files are trusted. */
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  noEmit: true,
  skipLibCheck: true,
};

/** Type-checks `written` together; each diagnostic is reported at its block's markdown line. */
export function typeCheckCodeBlocks(written: readonly WrittenBlock[]): DocProblem[] {
  if (written.length === 0) return [];
  const byFile = new Map(written.map((w) => [path.resolve(w.file), w]));
  const program = ts.createProgram({ rootNames: [...byFile.keys()], options: OPTIONS });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => toProblem(diagnostic, byFile));
}

function toProblem(diagnostic: ts.Diagnostic, byFile: ReadonlyMap<string, WrittenBlock>): DocProblem {
  const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
  const { file, start } = diagnostic;
  if (file === undefined || start === undefined) return { document: '(compiler)', line: 0, message };
  const at = file.getLineAndCharacterOfPosition(start);
  const owner = byFile.get(path.resolve(file.fileName));
  // A diagnostic outside the blocks (in a declaration file) names that file and line.
  if (owner === undefined) return { document: file.fileName, line: at.line + 1, message };
  return { document: owner.block.document, line: owner.block.line + at.line, message: `${message} (in ${owner.block.fileName})` };
}
