// The error of loadConfig(): every problem found in the configuration, each with its key path and source.

/** One configuration problem; `path` is empty for a problem with a whole file. */
export interface ConfigProblem {
  /** The canonical key path, e.g. `Worker:RabbitMQ:Port`. */
  readonly path: string;
  /** What was found and what is expected, e.g. `expected a whole number from 1 to 65535, found "abc"`. */
  readonly message: string;
  /** The file or environment variable the value came from (`appsettings.json`, `env Worker__RabbitMQ__Port`). */
  readonly source?: string;
}

/** Invalid worker configuration, listing every problem rather than the first. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** A readable multi-line message: a heading, then one line per problem. */
  format(): string {
    return formatProblems(this.problems);
  }
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map(({ path, message, source }) => {
    if (path === '') return `  - ${source ?? 'configuration'}: ${message}`;
    return `  - ${path}: ${message}${source === undefined ? '' : ` (from ${source})`}`;
  });
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return [`Invalid worker configuration (${count}):`, ...lines].join('\n');
}
