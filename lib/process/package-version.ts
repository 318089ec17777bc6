// packageVersion(): the version of this milvaion-worker package, read once from its package.json. The file is
// found by walking up from this module, so it works from lib/ under tsx and from the compiled dist/ alike.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const OWN_NAME = 'milvaion-worker';
/** What {@link packageVersion} answers when no package.json of milvaion-worker is above the module (a bundle). */
export const UNKNOWN_VERSION = 'unknown';

let cached: string | undefined;

/** The `name` and `version` of the package.json in `dir`, or undefined when there is none or it is unreadable. */
function readManifest(dir: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}

/**
 * The version in the nearest package.json named `milvaion-worker` at or above `from`'s folder (default: this
 * module's), skipping any other package.json on the way (an application's own); {@link UNKNOWN_VERSION} if none.
 */
export function findPackageVersion(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    const manifest = readManifest(dir);
    if (manifest?.name === OWN_NAME && typeof manifest.version === 'string') return manifest.version;
    const parent = path.dirname(dir);
    if (parent === dir) return UNKNOWN_VERSION;
    dir = parent;
  }
}

/** This package's version, read on first use and then remembered. */
export function packageVersion(): string {
  cached ??= findPackageVersion();
  return cached;
}
