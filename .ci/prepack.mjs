// npm's prepack (npm pack, npm publish): builds dist/ from lib/ with `npm run build`. A dry run
// (npm pack --dry-run, npm publish --dry-run) changes nothing on disk: it lists dist/ as last built, and fails
// when there is no dist/ to list. The build is here and not in `prepare`, which npm 11 lists as an install
// script on every install of the tarball.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.npm_config_dry_run === 'true') {
  if (!existsSync('dist/index.js')) {
    console.error('prepack: dist/ is missing; run `npm run build` first (a dry run builds nothing)');
    process.exit(1);
  }
  console.error('prepack: dry run, dist/ not rebuilt: the list shows dist/ as last built by `npm run build`');
} else {
  const built = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  process.exit(built.status ?? 1);
}
