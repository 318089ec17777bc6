// Specs of packageVersion(): the version comes from milvaion-worker's own package.json, found by walking up
// from the module, whether it runs from lib/ (tsx) or from dist/, past an application's package.json.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { findPackageVersion, packageVersion, UNKNOWN_VERSION } from '../../lib/process/package-version.ts';

const OWN = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('packageVersion()', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'package-version-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = (folder: string, content: unknown) => {
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'package.json'), typeof content === 'string' ? content : JSON.stringify(content));
  };
  const moduleIn = (...parts: string[]) => pathToFileURL(path.join(dir, ...parts, 'package-version.js')).href;

  it("reads this checkout's package.json from lib/ under tsx", () => {
    assert.equal(packageVersion(), OWN.version);
    assert.equal(findPackageVersion(), OWN.version);
  });

  it('walks up from a compiled dist/worker past other packages to the one named milvaion-worker', () => {
    const app = path.join(dir, 'app');
    manifest(app, { name: 'my-worker', version: '9.9.9' });
    manifest(path.join(app, 'node_modules', 'milvaion-worker'), { name: 'milvaion-worker', version: '1.2.3' });
    manifest(path.join(app, 'node_modules', 'milvaion-worker', 'dist'), '{ not json');
    assert.equal(findPackageVersion(moduleIn('app', 'node_modules', 'milvaion-worker', 'dist', 'worker')), '1.2.3');
  });

  it(`answers "${UNKNOWN_VERSION}" when no milvaion-worker package.json is above the module (a bundle)`, () => {
    manifest(path.join(dir, 'bundle'), { name: 'my-bundle', version: '2.0.0' });
    assert.equal(findPackageVersion(moduleIn('bundle', 'out')), UNKNOWN_VERSION);
  });
});
