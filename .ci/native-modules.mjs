// Which native binaries lmdb and msgpackr-extract load under this Node (same node_modules on every version: each
// ships prebuilds per Node ABI, plus an N-API one). Fails when either is not loaded: lmdb has no fallback, and
// msgpackr would fall back to plain JavaScript without a word. Linux only (reads /proc/self/maps), as CI is.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { open } from 'lmdb';

const folder = mkdtempSync(path.join(tmpdir(), 'native-modules-'));
try {
  const db = open({ path: folder });
  await db.put('probe', { written: true });
  if (db.get('probe')?.written !== true) throw new Error('lmdb: a value written was not read back');
  await db.close();
} finally {
  rmSync(folder, { recursive: true, force: true });
}

const loaded = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => line.split(/\s+/).pop() ?? ''))].filter((file) => file.endsWith('.node'));
const found = (name) => loaded.find((file) => file.includes(`/${name}-`));
const lmdb = found('lmdb');
const msgpackr = found('msgpackr-extract');
console.log(`node ${process.version} (ABI ${process.versions.modules}): lmdb ${lmdb ? path.basename(lmdb) : 'NOT LOADED'}, msgpackr-extract ${msgpackr ? path.basename(msgpackr) : 'NOT LOADED'}`);
if (!lmdb || !msgpackr) process.exit(1);
