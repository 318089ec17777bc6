// parseOptions(): validates a middleware's or adapter's options once, at construction, naming every problem.
import * as v from 'valibot';

/** Validates options against a schema; throws a TypeError listing each wrong key with what it expects. */
export function parseOptions<TSchema extends v.GenericSchema>(owner: string, schema: TSchema, input: unknown): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? '(options)'}: ${issue.message}`);
  throw new TypeError(`Invalid options for ${owner}: ${problems.join('; ')}`);
}
