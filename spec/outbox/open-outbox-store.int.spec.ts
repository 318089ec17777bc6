import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { open } from 'lmdb';
import { openOutboxStore, OutboxStoreError } from '../../lib/outbox/open-outbox-store.ts';
import { finishedKey } from '../../lib/outbox/create-finished-records.ts';

const root = mkdtempSync(path.join(tmpdir(), 'outbox-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
const entry = (i: number) => ({ queue: 'q', body: Buffer.from(JSON.stringify({ i })), occurrenceId: `o${i % 3}`, kind: 'log' as const, createdAt: 1000 + i });

describe('openOutboxStore', () => {
  it('appends in order with stable message ids, and keeps them across a reopen', async () => {
    const dir = path.join(root, 'reopen');
    const store = openOutboxStore({ directory: dir });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.append(entry(i))));
    const first = store.read(0, 100);
    assert.deepEqual(first.map((e) => (JSON.parse(e.body.toString()) as { i: number }).i), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(new Set(first.map((e) => e.messageId)).size, 10);
    await store.remove(first.slice(0, 4).map((e) => e.seq));
    assert.equal(store.pending, 6);
    await store.close();
    const again = openOutboxStore({ directory: dir });
    const rest = again.read(0, 100);
    assert.equal(again.pending, 6);
    assert.deepEqual(rest.map((e) => e.messageId), first.slice(4).map((e) => e.messageId));
    assert.equal(again.oldestCreatedAt(), 1004);
    await again.append(entry(10));
    assert.equal(again.read(0, 100).at(-1)!.seq, first.at(-1)!.seq + 1); // the sequence continues
    await again.close();
  });

  it('never reuses a message id, even after the outbox was drained empty and reopened', async () => {
    const dir = path.join(root, 'ids');
    const store = openOutboxStore({ directory: dir });
    await Promise.all([store.append(entry(1)), store.append(entry(2))]);
    const first = store.read(0, 10);
    await store.remove(first.map((e) => e.seq));
    await store.close();
    const again = openOutboxStore({ directory: dir });
    await again.append(entry(3));
    const [next] = again.read(0, 10);
    assert.ok(!first.some((e) => e.messageId === next!.messageId), `${next!.messageId} was used before`);
    await again.close();
  });

  it('keeps each body intact across later reads (lmdb reuses its read buffer)', async () => {
    const dir = path.join(root, 'bodies');
    const store = openOutboxStore({ directory: dir });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(entry(i))));
    const first = store.read(0, 25);
    const later = store.read(25, 25);
    await store.remove(first.map((e) => e.seq));
    await store.append(entry(99));
    void store.read(0, 100);
    assert.deepEqual([...first, ...later].map((e) => JSON.parse(e.body.toString()) as unknown), Array.from({ length: 50 }, (_, i) => ({ i })));
    await store.close();
  });

  it('sends entries left by the earlier format (message object, stored message id) unchanged', async () => {
    const dir = path.join(root, 'legacy');
    await openOutboxStore({ directory: dir }).close();
    const raw = open({ path: path.join(dir, 'outbox.mdb'), maxDbs: 8, encoding: 'msgpack' });
    const old = raw.openDB({ name: 'entries', keyEncoding: 'ordered-binary' });
    await old.put(0, { messageId: 'abc-0', queue: 'job_status_updates_queue', message: { Status: 2, CorrelationId: 'c1' }, occurrenceId: 'c1', kind: 'final', createdAt: 5 });
    await raw.close();
    const store = openOutboxStore({ directory: dir });
    const [legacy] = store.read(0, 10);
    assert.equal(legacy!.messageId, 'abc-0');
    assert.deepEqual(JSON.parse(legacy!.body.toString()), { Status: 2, CorrelationId: 'c1' });
    assert.equal(legacy!.kind, 'final');
    await store.append(entry(1));
    const [, fresh] = store.read(0, 10);
    assert.equal(fresh!.seq, 1);
    assert.notEqual(fresh!.messageId, 'abc-0');
    await store.close();
  });

  it('creates the store with owner-only permissions', async () => {
    const dir = path.join(root, 'perms');
    const store = openOutboxStore({ directory: dir });
    await store.close();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dir, 'outbox.mdb')).mode & 0o777, 0o600);
  });

  it('knows an occurrence is finished from the moment it is marked, before its record commits', async () => {
    const dir = path.join(root, 'finishing');
    const store = openOutboxStore({ directory: dir });
    for (let i = 0; i < 50; i++) {
      store.markFinished(`occ-${i}`);
      assert.equal(store.isFinished(`occ-${i}`), true, `occ-${i} right after markFinished`);
    }
    await store.close();
    const again = openOutboxStore({ directory: dir });
    assert.equal(again.isFinished('occ-49'), true);
    await again.close();
  });

  it('remembers finished occurrences across a reopen and prunes old ones', async () => {
    const dir = path.join(root, 'finished');
    const store = openOutboxStore({ directory: dir });
    store.markFinished('occ-1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.close();
    const again = openOutboxStore({ directory: dir });
    assert.equal(again.isFinished('occ-1'), true);
    assert.equal(again.isFinished('occ-2'), false);
    assert.equal(await again.pruneFinished(Date.now() + 1000), 1);
    assert.equal(again.isFinished('occ-1'), false);
    await again.close();
  });

  it('prunes old finished records in chunks, across chunk boundaries, keeping recent ones', async () => {
    const dir = path.join(root, 'prune-chunks');
    const raw = openOutboxStore({ directory: dir });
    await raw.close();
    // Old and recent records interleaved in key order, written with their times directly.
    const db = open({ path: path.join(dir, 'outbox.mdb'), maxDbs: 8, encoding: 'msgpack' });
    const finished = db.openDB<number, string>({ name: 'finished' });
    await finished.transaction(() => {
      for (let i = 0; i < 100; i++) finished.putSync(`occ-${String(i).padStart(3, '0')}`, i % 3 === 0 ? 5_000 : 1_000);
    });
    await db.close();
    const store = openOutboxStore({ directory: dir, pruneChunk: 7 });
    assert.equal(await store.pruneFinished(2_000), 66);
    for (let i = 0; i < 100; i++) assert.equal(store.isFinished(`occ-${String(i).padStart(3, '0')}`), i % 3 === 0, `occ-${i}`);
    assert.equal(await store.pruneFinished(2_000), 0);
    await store.close();
  });

  it('keeps finished UUID occurrences as 17-byte keys with their time in seconds, and prunes them in chunks', async () => {
    const dir = path.join(root, 'finished-compact');
    const store = openOutboxStore({ directory: dir, pruneChunk: 3 });
    const ids = Array.from({ length: 10 }, () => randomUUID());
    for (const id of ids) store.markFinished(id);
    store.markFinished('not-a-uuid');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store.close();
    const db = open({ path: path.join(dir, 'outbox.mdb'), maxDbs: 8, encoding: 'msgpack' });
    const compact = db.openDB<number, Buffer>({ name: 'finished-ids', keyEncoding: 'binary' });
    const keys = [...compact.getKeys()];
    assert.equal(keys.length, 11);
    assert.deepEqual(keys.filter((k) => k[0] === 1).map((k) => k.length), Array(10).fill(17));
    assert.ok(compact.get(finishedKey(ids[0]!.toUpperCase()))! > 1_700_000_000, 'seconds, and the same key whatever the case of the UUID');
    assert.ok(keys.some((k) => k[0] === 2 && k.subarray(1).toString() === 'not-a-uuid'));
    await db.close();
    const again = openOutboxStore({ directory: dir, pruneChunk: 3 });
    assert.ok(ids.every((id) => again.isFinished(id)));
    assert.equal(again.isFinished('not-a-uuid'), true);
    assert.equal(again.isFinished(randomUUID()), false);
    assert.equal(await again.pruneFinished(Date.now() - 60_000), 0, 'nothing is older than a minute');
    assert.equal(await again.pruneFinished(Date.now() + 2000), 11);
    assert.ok(ids.every((id) => !again.isFinished(id)));
    await again.close();
  });

  it('counts its LMDB commits: many appends in one turn share one', async () => {
    const store = openOutboxStore({ directory: path.join(root, 'commits') });
    const before = store.commits;
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(entry(i))));
    const afterBatch = store.commits - before;
    assert.ok(afterBatch >= 1 && afterBatch <= 2, `50 appends in one turn took ${afterBatch} commits`);
    for (let i = 0; i < 5; i++) await store.append(entry(i));
    assert.equal(store.commits - before - afterBatch, 5, 'five awaited appends are five commits');
    await store.close();
  });

  it('moves a corrupt store aside with a clear report and starts empty; fails when told to', async () => {
    const dir = path.join(root, 'corrupt');
    const bad = path.join(dir, 'outbox.mdb');
    rmSync(dir, { recursive: true, force: true });
    await openOutboxStore({ directory: dir }).close();
    writeFileSync(bad, Buffer.alloc(64 * 1024, 0x5a));
    assert.throws(() => openOutboxStore({ directory: dir, onCorrupt: 'fail' }), (e: Error) => e instanceof OutboxStoreError && e.message.includes(bad) && /move it aside/.test(e.message));
    assert.ok(!readdirSync(dir).includes('outbox.lock'), 'a failed open leaves no lock naming this live process');
    const reports: string[] = [];
    const store = openOutboxStore({ directory: dir, report: (m) => reports.push(m) });
    assert.equal(store.pending, 0);
    assert.match(reports[0]!, /moved to .*outbox\.mdb\.corrupt-/);
    assert.ok(readdirSync(dir).some((n) => n.startsWith('outbox.mdb.corrupt-')));
    await store.close();
  });

  it('refuses a folder another live process uses, and takes over a stale lock', async () => {
    const dir = path.join(root, 'locked');
    const store = openOutboxStore({ directory: dir });
    await store.close();
    writeFileSync(path.join(dir, 'outbox.lock'), String(process.ppid)); // a live process that is not us
    assert.throws(() => openOutboxStore({ directory: dir }), /in use by process/);
    writeFileSync(path.join(dir, 'outbox.lock'), '999999999'); // no such process
    const again = openOutboxStore({ directory: dir });
    await again.close();
  });

  it('batches many appends into few transactions (fast enough for the worker)', async () => {
    const store = openOutboxStore({ directory: path.join(root, 'batch') });
    await Promise.all(Array.from({ length: 5000 }, (_, i) => store.append(entry(i))));
    assert.equal(store.read(0, 10_000).length, 5000);
    await store.close();
  });
});
