// toDiskRoom(): the room of the outbox's disk (free bytes plus the store's spare pages) against its reserve and
// warning, with defaults that follow the disk's size; entryFootprint() and toSizeText().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryFootprint, toDiskRoom, toSizeText } from '../../lib/outbox/to-disk-room.ts';

const MiB = 1024 ** 2;
const disk = (totalMiB: number, freeMiB: number) => ({ bsize: 4096, blocks: (totalMiB * MiB) / 4096, bavail: (freeMiB * MiB) / 4096 });

describe('toDiskRoom', () => {
  it('counts the spare pages inside the store as room: a drained store frees no disk, but LMDB reuses its pages', () => {
    const room = toDiskRoom(disk(100, 1), 30 * MiB, { reserveBytes: 10 * MiB, warningBytes: 20 * MiB });
    assert.deepEqual(room, { level: 'ok', roomBytes: 31 * MiB, totalBytes: 100 * MiB, reserveBytes: 10 * MiB, warningBytes: 20 * MiB });
  });

  it('is low below the warning and full below the reserve', () => {
    const limits = { reserveBytes: 10 * MiB, warningBytes: 20 * MiB };
    assert.equal(toDiskRoom(disk(100, 20), 0, limits).level, 'ok');
    assert.equal(toDiskRoom(disk(100, 19), 0, limits).level, 'low');
    assert.equal(toDiskRoom(disk(100, 10), 0, limits).level, 'low');
    assert.equal(toDiskRoom(disk(100, 9), 0, limits).level, 'full');
    assert.equal(toDiskRoom(disk(100, 0), 0, limits).level, 'full');
  });

  it('defaults the reserve to 5 % of the disk (at most 64 MiB) and the warning to 20 % (at most 1 GiB, at least twice the reserve)', () => {
    const small = toDiskRoom(disk(3, 3), 0);
    assert.equal(small.reserveBytes, Math.floor(3 * MiB * 0.05));
    assert.equal(small.warningBytes, Math.floor(3 * MiB * 0.2));
    const large = toDiskRoom(disk(100 * 1024, 100 * 1024), 0);
    assert.deepEqual([large.reserveBytes, large.warningBytes], [64 * MiB, 1024 * MiB]);
    assert.equal(toDiskRoom(disk(100, 100), 0, { reserveBytes: 30 * MiB }).warningBytes, 60 * MiB, 'a reserve set above the default warning moves the warning up');
  });

  it('takes a reserve or warning of 0 as none', () => {
    assert.equal(toDiskRoom(disk(100, 0), 0, { reserveBytes: 0, warningBytes: 0 }).level, 'ok');
  });
});

describe('entryFootprint and toSizeText', () => {
  it('estimates a small entry at twice its size (a half-empty leaf page) and a large one at whole overflow pages', () => {
    assert.equal(entryFootprint(500), 1064);
    assert.equal(entryFootprint(2001), 4096);
    assert.equal(entryFootprint(4096), 8192);
    assert.equal(entryFootprint(40_000), 40_960);
  });

  it('writes sizes as people read them', () => {
    assert.deepEqual([toSizeText(512 * 1024), toSizeText(3.14 * MiB), toSizeText(2 * 1024 * MiB)], ['512 KB', '3.1 MB', '2.0 GB']);
  });
});
