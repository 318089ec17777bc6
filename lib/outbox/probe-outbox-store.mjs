// Opens an outbox store in a throwaway process and reads all of it. LMDB can crash the whole process
// (SIGSEGV) on a corrupt file, so the worker asks this probe first instead of risking a crash loop.
// Exit 0: readable. Exit 2: LMDB reported an error (printed). Killed by a signal: corrupt.
import { open } from 'lmdb';

const file = process.argv[2];
try {
  let read = 0;
  const root = open({ path: file, maxDbs: 8, readOnly: true });
  const layouts = { entries: { keyEncoding: 'ordered-binary', encoding: 'binary' }, 'finished-ids': { keyEncoding: 'binary' } };
  for (const name of ['meta', 'entries', 'finished', 'finished-ids']) {
    // Entries are raw bytes (the store's own layout): read them as such, every page touched.
    const db = root.openDB({ name, ...layouts[name] });
    if (db === undefined) continue; // not written yet: nothing to check
    for (const { value } of db.getRange()) if (value !== undefined) read++; // reading each value touches its page
  }
  await root.close();
  process.stdout.write(`${read} values read\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(String(error?.message ?? error));
  process.exit(2);
}
