// Flattens a parsed appsettings object into key-path entries, the form .NET configuration merges layers in.
// Only the `Worker` and `JobConsumers` sections are kept; `Logging`, `AllowedHosts` and the rest are ignored.

/** One configuration value: its key path as written, the value, and where it came from. */
export interface ConfigEntry {
  readonly path: readonly string[];
  /** A scalar, an array, or `{}` for an empty section (which still counts as present). */
  readonly value: unknown;
  readonly source: string;
}

const SECTIONS = new Set(['worker', 'jobconsumers']);

/** Whether a top-level key (any casing) names a section this runtime reads. */
export function isConfigSection(name: string): boolean {
  return SECTIONS.has(name.toLowerCase());
}

/** Whether a value is a plain object (a configuration section), not an array, a class instance or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Flattens the `Worker` and `JobConsumers` sections of a plain object; null values count as absent. */
export function toConfigEntries(settings: Readonly<Record<string, unknown>>, source: string): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  const visit = (path: readonly string[], value: unknown): void => {
    if (value === null || value === undefined) return;
    const children = isPlainObject(value) ? Object.entries(value) : undefined;
    if (children === undefined) entries.push({ path, value, source });
    else if (children.length === 0) entries.push({ path, value: {}, source });
    // A key may itself be a path ("RabbitMQ:Host"), as in .NET.
    else for (const [key, child] of children) visit([...path, ...key.split(':')], child);
  };
  for (const [key, value] of Object.entries(settings)) {
    const path = key.split(':');
    if (isConfigSection(path[0]!)) visit(path, value);
  }
  return entries;
}
