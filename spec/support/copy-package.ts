// copyPackage(): this checkout's lib/ in a temporary folder under a package.json of another version, with
// node_modules linked, so a spec can load milvaion-worker as if that version were installed (this checkout's
// own version may equal a hard-coded default and so prove nothing).
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A copy of lib/ whose package.json says `version`. */
export interface PackageCopy {
  /** The file URL of `file` (relative to the copy's root, e.g. `lib/amqp.ts`), for `import()`. */
  url(file: string): string;
  remove(): void;
}

/** Copies lib/ into a temporary package named milvaion-worker at `version`. */
export function copyPackage(version: string): PackageCopy {
  const root = mkdtempSync(path.join(tmpdir(), 'milvaion-worker-copy-'));
  cpSync(path.join(ROOT, 'lib'), path.join(root, 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'milvaion-worker', version, type: 'module' }));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return {
    url: (file) => pathToFileURL(path.join(root, file)).href,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
