// The redelivery records of the outbox's LMDB store: crash counts that survive a restart of the process (a
// classic queue counts no deliveries), a release used up by the redelivery that follows it, and their retention.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openOutboxStore } from '../../lib/outbox/open-outbox-store.ts';

const root = mkdtempSync(path.join(tmpdir(), 'redelivery-records-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('the outbox store’s redelivery records', () => {
  it('count the crashes of an occurrence across a reopen of the store', async () => {
    const dir = path.join(root, 'reopen');
    const id = randomUUID();
    const store = openOutboxStore({ directory: dir });
    assert.deepEqual(await store.redeliveries.noteRedelivery(id), { crashes: 1, counted: true });
    assert.deepEqual(await store.redeliveries.noteRedelivery(id), { crashes: 2, counted: true });
    await store.close();
    const again = openOutboxStore({ directory: dir });
    assert.deepEqual(await again.redeliveries.noteRedelivery(id), { crashes: 3, counted: true });
    assert.deepEqual(await again.redeliveries.noteRedelivery('not-a-uuid'), { crashes: 1, counted: true }, 'any id, keyed by its text');
    await again.close();
  });

  it('count no crash for the redelivery after a release, once: the release is used up', async () => {
    const store = openOutboxStore({ directory: path.join(root, 'release') });
    const id = randomUUID();
    await store.redeliveries.noteRedelivery(id);
    await store.redeliveries.release(id);
    assert.deepEqual(await store.redeliveries.noteRedelivery(id), { crashes: 1, counted: false });
    assert.deepEqual(await store.redeliveries.noteRedelivery(id), { crashes: 2, counted: true });
    await store.close();
  });

  it('are pruned with the finished records once older than the retention', async () => {
    const store = openOutboxStore({ directory: path.join(root, 'prune') });
    const id = randomUUID();
    await store.redeliveries.noteRedelivery(id);
    assert.equal(await store.pruneFinished(Date.now() - 60_000), 0, 'a fresh record stays');
    assert.equal(await store.pruneFinished(Date.now() + 2000), 1, 'past the retention it goes');
    assert.deepEqual(await store.redeliveries.noteRedelivery(id), { crashes: 1, counted: true }, 'counted afresh');
    await store.close();
  });
});
