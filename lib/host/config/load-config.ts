// Loads the worker's configuration as the .NET SDK does: appsettings.json, then appsettings.{Environment}.json,
// then `Worker__…` environment variables, then in-code overrides; validates everything and fills the defaults.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import * as v from 'valibot';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { ConfigSchema } from './config-schema.js';
import { mergeConfigEntries } from './merge-config-entries.js';
import { parseJsonWithComments } from './parse-json-with-comments.js';
import { isPlainObject, toConfigEntries, type ConfigEntry } from './to-config-entries.js';
import { toEnvConfigEntries } from './to-env-config-entries.js';
import { toWorkerConfig } from './to-worker-config.js';
import type { WorkerConfig } from './worker-config.js';

// Re-exported so a caller (the CLI) needs one import for loading, errors, redaction and the summary.
export { ConfigError, type ConfigProblem } from './config-error.js';
export { describeConfig } from './describe-config.js';
export { redactConfig } from './redact-config.js';

/** Options of {@link loadConfig}; everything is optional and defaults to the process's own. */
export interface LoadConfigOptions {
  /** The settings file (the CLI's `--config`); else `MILVAION_CONFIG`, else `./appsettings.json`. */
  readonly configPath?: string | undefined;
  /** Selects the `appsettings.{Environment}.json` overlay; else DOTNET_/ASPNETCORE_/MILVAION_ENVIRONMENT. */
  readonly environment?: string | undefined;
  /** The environment variables to read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The directory relative paths are resolved against (default `process.cwd()`). */
  readonly cwd?: string | undefined;
  /** A plain object in the appsettings shape, applied last (for configuration in code). */
  readonly overrides?: unknown;
}

/** Loads, merges and validates the configuration, listing every problem with its key path and source. */
export function loadConfig(options: LoadConfigOptions = {}): Result<WorkerConfig, ConfigError> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = nonBlank(options.configPath) ?? nonBlank(env['MILVAION_CONFIG']);
  const configFile = path.resolve(cwd, named ?? 'appsettings.json');
  const environment =
    nonBlank(options.environment) ?? nonBlank(env['DOTNET_ENVIRONMENT']) ?? nonBlank(env['ASPNETCORE_ENVIRONMENT']) ?? nonBlank(env['MILVAION_ENVIRONMENT']);
  const problems: ConfigProblem[] = [];
  const entries: ConfigEntry[] = [];
  const readLayer = (file: string, required: boolean): void => {
    const read = readSettingsFile(file, required, displayPath(file, cwd));
    if (read.isErr()) problems.push(read.error);
    else entries.push(...read.value);
  };
  readLayer(configFile, named !== undefined);
  if (environment !== undefined) {
    // The overlay is named after the main file: appsettings.json → appsettings.Production.json.
    const stem = path.basename(configFile, path.extname(configFile));
    readLayer(path.join(path.dirname(configFile), `${stem}.${environment}.json`), false);
  }
  entries.push(...toEnvConfigEntries(env));
  if (options.overrides !== undefined) {
    if (isPlainObject(options.overrides)) entries.push(...toConfigEntries(options.overrides, 'overrides'));
    else problems.push({ path: '', message: 'overrides must be a plain object in the appsettings.json shape', source: 'overrides' });
  }
  if (problems.length > 0) return err(new ConfigError(problems));

  const { tree, sources } = mergeConfigEntries(entries);
  const parsed = v.safeParse(ConfigSchema, tree);
  if (!parsed.success) return err(new ConfigError(toProblems(parsed.issues, sources)));
  return ok(toWorkerConfig(parsed.output, { hostname: os.hostname(), parallelism: os.availableParallelism(), stdoutIsTty: process.stdout.isTTY === true }));
}

function readSettingsFile(file: string, required: boolean, shown: string): Result<ConfigEntry[], ConfigProblem> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return ok([]);
    const message = code === 'ENOENT' ? 'file not found' : `cannot be read: ${(error as Error).message}`;
    return err({ path: '', message, source: shown });
  }
  const parsed = parseJsonWithComments(text);
  if (parsed.isErr()) {
    const { message, line, column } = parsed.error;
    return err({ path: '', message: `invalid JSON at line ${line}, column ${column}: ${message}`, source: shown });
  }
  if (!isPlainObject(parsed.value)) return err({ path: '', message: 'expected a JSON object at the top level', source: shown });
  return ok(toConfigEntries(parsed.value, shown));
}

function toProblems(issues: readonly v.BaseIssue<unknown>[], sources: ReadonlyMap<string, string>): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const key = (issue.path ?? []).map((item) => String(item.key)).join(':');
    // Several checks of one value (integer, then minimum) can fail with the same message; say it once.
    if (seen.has(`${key}\n${issue.message}`)) continue;
    seen.add(`${key}\n${issue.message}`);
    const source = sources.get(key) ?? [...sources].find(([k]) => k.startsWith(`${key}:`))?.[1];
    problems.push({ path: key, message: issue.message, ...(source === undefined ? {} : { source }) });
  }
  return problems;
}

function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
