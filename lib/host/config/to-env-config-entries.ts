// Reads configuration overrides from environment variables in the .NET form: `Worker__RabbitMQ__Host=rabbit`,
// where a double underscore separates keys, names match case-insensitively, and values arrive as strings.
import { isConfigSection, type ConfigEntry } from './to-config-entries.js';

/** Turns `Worker__…` and `JobConsumers__…` environment variables into entries, in a stable (sorted) order. */
export function toEnvConfigEntries(env: Readonly<Record<string, string | undefined>>): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    const path = name.replaceAll('__', ':').split(':');
    // A bare `WORKER=…` is someone else's variable: a key needs a section and at least one name below it.
    if (value === undefined || path.length < 2 || !isConfigSection(path[0]!)) continue;
    entries.push({ path, value, source: `env ${name}` });
  }
  return entries;
}
