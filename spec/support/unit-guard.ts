// `npm run test:unit` loads this (`--import`) into every process node:test starts: each spec file's process gets
// the unit guard (no socket, no child process). The runner's own process, which starts those, is left alone:
// node:test marks its children with NODE_TEST_CONTEXT.
import { installUnitGuard } from './install-unit-guard.ts';

if (process.env['NODE_TEST_CONTEXT'] !== undefined) installUnitGuard();
