// packPackage(): the npm tarball as `npm pack` makes it, packed from a copy of this checkout so that the repository's
// own dist/ is neither read nor rebuilt (another build may be running there). The copy's prepack builds its dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// What a checkout holds beside its sources: installed packages, build output, the CI's Node binaries, scratch.
const LEFT_OUT = new Set(['.git', 'node_modules', 'dist', '.tmp', 'worker_data', 'profiles', 'bench-results.json']);
const LEFT_OUT_PATHS = new Set([path.join('.ci', '.node')]);

/** The environment a user's shell would give a child: no test-runner context and no inherited TypeScript loader. */
export const USER_ENV: NodeJS.ProcessEnv = (() => {
  const { NODE_TEST_CONTEXT: _context, NODE_OPTIONS: _options, ...env } = process.env;
  return env;
})();

/** A packed tarball, the files npm put in it, and the copy it was packed from. */
export interface PackedPackage {
  tarball: string;
  /** The packed paths, sorted (`dist/index.js`, `package.json`...). */
  files: string[];
  /** The checkout's copy that was packed; its dist/ is the built package. */
  stage: string;
}

/** Copies this checkout into `workDir`/stage (node_modules linked) and runs `npm pack` there into `workDir`. */
export function packPackage(workDir: string): PackedPackage {
  const stage = path.join(workDir, 'stage');
  mkdirSync(stage, { recursive: true });
  cpSync(ROOT, stage, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(ROOT, source);
      if (relative === '') return true;
      const name = path.basename(source);
      return !LEFT_OUT.has(relative.split(path.sep)[0]!) && !LEFT_OUT_PATHS.has(relative) && name !== 'node_modules' && !/\.(tgz|cpuprofile)$/.test(name);
    },
  });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: stage, env: USER_ENV, encoding: 'utf8', timeout: 240_000 });
  if (packed.status !== 0) throw new Error(`npm pack failed (${String(packed.status)}):\n${packed.stdout}\n${packed.stderr}`);
  const info = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[])[0]!;
  return { tarball: path.join(workDir, info.filename), files: info.files.map((f) => f.path).sort(), stage };
}
