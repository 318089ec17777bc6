// valibot issues as the lines a failure report lists: one `path: message` per failing field.
import * as v from 'valibot';

/** Turns valibot issues into `path: message` lines (`(root)` for the value itself), in the order valibot found them. */
export function toIssueTexts(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`);
}
