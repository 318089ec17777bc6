// Merges configuration layers the way .NET does: keys match case-insensitively and a later layer wins per key.
// The result is one tree in the schema's PascalCase, plus the source (file or variable) of every value.
import { toCanonicalPath } from './config-schema.js';
import { isPlainObject, type ConfigEntry } from './to-config-entries.js';
import { isForbiddenKey } from '../../core/util/is-forbidden-key.js';

/** The merged tree, and the source of each value keyed by its canonical path (`Worker:RabbitMQ:Port`). */
export interface MergedConfig {
  readonly tree: Record<string, unknown>;
  readonly sources: ReadonlyMap<string, string>;
}


/** Merges entries in order, a later entry replacing an earlier one with the same key (compared case-insensitively). */
export function mergeConfigEntries(entries: readonly ConfigEntry[]): MergedConfig {
  // The first spelling seen for a key is kept for job names and unknown keys (the file usually comes first).
  const spelling = new Map<string, string>();
  const merged = new Map<string, { path: string[]; value: unknown; source: string }>();
  for (const entry of entries) {
    if (entry.path.some((segment) => isForbiddenKey(segment))) continue;
    const lower = entry.path.map((segment) => segment.toLowerCase());
    const path = entry.path.map((segment, n) => {
      const prefix = lower.slice(0, n + 1).join(':');
      if (!spelling.has(prefix)) spelling.set(prefix, segment);
      return spelling.get(prefix)!;
    });
    const key = lower.join(':');
    const isSection = isPlainObject(entry.value);
    for (const [existing, earlier] of merged) {
      // A value replaces a whole earlier section, and a key below replaces an earlier value at its parent.
      if (!isSection && existing.startsWith(`${key}:`)) merged.delete(existing);
      else if (key.startsWith(`${existing}:`) && !isPlainObject(earlier.value)) merged.delete(existing);
    }
    merged.set(key, { path, value: entry.value, source: entry.source });
  }
  const tree: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const { path, value, source } of merged.values()) {
    const canonical = toCanonicalPath(path);
    const last = canonical.pop()!;
    let node = tree;
    for (const segment of canonical) {
      const child = node[segment];
      node = isPlainObject(child) ? child : (node[segment] = {});
    }
    // An empty section only makes the section present; it never hides keys set below it.
    if (!isPlainObject(value)) node[last] = value;
    else if (!isPlainObject(node[last])) node[last] = {};
    sources.set([...canonical, last].join(':'), source);
  }
  return { tree, sources };
}
